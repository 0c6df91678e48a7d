// manifest.json beside the dump: what the snapshot is and the size and SHA-256 of each file,
// computed on the target host (sha256sum), so verify can tell a complete, untouched snapshot from
// anything else. It never holds a password.
import { z } from 'zod';
import type { Host } from '../../hosts/host.js';
import { faultPoint } from '../../engine/faults.js';
import type { DatabaseSnapshot, SnapshotFile } from './method.js';
import { fail, LONG_MS, QUICK_MS, RESTORE_FAILURE, runTool, TAKE_FAILURE, VERIFY_FAILURE, type Failure } from './run-tool.js';

export const MANIFEST_NAME = 'manifest.json';

const manifestSchema = z.strictObject({
  format: z.literal(1),
  method: z.enum(['sqlite3', 'mysql', 'pgsql']),
  database: z.string(),
  createdAt: z.string(),
  durationMs: z.number(),
  serverVersion: z.string().optional(),
  tool: z.string().optional(),
  files: z.array(z.strictObject({ name: z.string(), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).min(1),
  /** Facts restore needs that the snapshot object does not carry (SQLite: the PHP to run, the live file's owner and mode). */
  extra: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

export type DatabaseManifest = z.infer<typeof manifestSchema>;

/** Size and SHA-256 of each file in `dir`, read on the host. */
export async function describeFiles(host: Host, dir: string, names: readonly string[], failure: Failure, signal?: AbortSignal): Promise<SnapshotFile[]> {
  const paths = names.map((name) => `${dir}/${name}`);
  const sums = await runTool(host, { file: 'sha256sum', args: ['--', ...paths], timeoutMs: LONG_MS, signal }, failure, 'checksumming the snapshot');
  const sizes = await runTool(host, { file: 'stat', args: ['-c', '%s', '--', ...paths], signal }, failure, 'reading the snapshot\'s size');
  const sumLines = sums.stdout.trim().split('\n');
  const sizeLines = sizes.stdout.trim().split('\n');
  return names.map((name, index) => {
    const sha256 = /^\\?([0-9a-f]{64}) /.exec(sumLines[index] ?? '')?.[1];
    const size = Number(sizeLines[index]);
    if (sha256 === undefined || !Number.isSafeInteger(size)) throw fail(failure, `unexpected sha256sum/stat output for ${dir}/${name}`);
    return { name, size, sha256 };
  });
}

/** Writes manifest.json (0600) and makes the snapshot durable: the files, the manifest and the directory entry. */
export async function writeManifest(host: Host, dir: string, manifest: DatabaseManifest, signal?: AbortSignal): Promise<DatabaseSnapshot> {
  await host.writeFile(`${dir}/${MANIFEST_NAME}`, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  const paths = [...manifest.files.map((file) => `${dir}/${file.name}`), `${dir}/${MANIFEST_NAME}`, dir];
  await runTool(host, { file: 'sync', args: ['--', ...paths], timeoutMs: LONG_MS, signal }, TAKE_FAILURE, 'flushing the snapshot to disk');
  return { method: manifest.method, dir, files: manifest.files, createdAt: manifest.createdAt, durationMs: manifest.durationMs };
}

export async function readManifest(host: Host, dir: string, failure: Failure): Promise<DatabaseManifest> {
  let text: string;
  try {
    text = (await host.readFile(`${dir}/${MANIFEST_NAME}`)).toString('utf8');
  } catch (error) {
    throw fail(failure, `cannot read ${dir}/${MANIFEST_NAME}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw fail(failure, `${dir}/${MANIFEST_NAME} is not JSON`, error);
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) throw fail(failure, `${dir}/${MANIFEST_NAME} is not a database snapshot manifest: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

/**
 * The manifest on disk agrees with the snapshot in hand and every file still has its size and
 * SHA-256; returns the manifest for the method's own completeness checks.
 */
export async function checkFiles(host: Host, snapshot: DatabaseSnapshot, signal?: AbortSignal): Promise<DatabaseManifest> {
  const manifest = await readManifest(host, snapshot.dir, VERIFY_FAILURE);
  const key = (files: readonly SnapshotFile[]) => JSON.stringify(files.map(({ name, size, sha256 }) => [name, size, sha256]));
  if (manifest.method !== snapshot.method || key(manifest.files) !== key(snapshot.files)) {
    throw fail(VERIFY_FAILURE, `${snapshot.dir}/${MANIFEST_NAME} does not describe this snapshot (method or files differ)`);
  }
  const actual = await describeFiles(host, snapshot.dir, manifest.files.map((file) => file.name), VERIFY_FAILURE, signal);
  for (const [index, file] of manifest.files.entries()) {
    const found = actual[index];
    if (found?.size !== file.size) throw fail(VERIFY_FAILURE, `${snapshot.dir}/${file.name} has ${found?.size ?? '?'} bytes, the manifest says ${file.size}`);
    if (found.sha256 !== file.sha256) throw fail(VERIFY_FAILURE, `${snapshot.dir}/${file.name} has SHA-256 ${found.sha256.slice(0, 16)}..., the manifest says ${file.sha256.slice(0, 16)}...`);
  }
  return manifest;
}

/** Files written by a tool get the umask's mode; snapshot files are 0600 (the directory is already 0700). */
export async function restrictFiles(host: Host, dir: string, names: readonly string[], signal?: AbortSignal): Promise<void> {
  await runTool(host, { file: 'chmod', args: ['0600', '--', ...names.map((name) => `${dir}/${name}`)], timeoutMs: QUICK_MS, signal }, TAKE_FAILURE, 'restricting the snapshot files to root');
}

/**
 * The end of every take: the dump file becomes 0600, its size and SHA-256 are read on the host,
 * and manifest.json is written beside it. One place, so all methods seal snapshots alike.
 */
export async function sealSnapshot(host: Host, dir: string, file: string, manifest: Omit<DatabaseManifest, 'files'>, signal?: AbortSignal): Promise<DatabaseSnapshot> {
  await faultPoint('db-dump:written', signal);
  await restrictFiles(host, dir, [file], signal);
  const files = await describeFiles(host, dir, [file], TAKE_FAILURE, signal);
  return writeManifest(host, dir, { ...manifest, files }, signal);
}

/** A snapshot as its manifest describes it: what recovery restores from after a crash lost the run's memory. */
export async function loadSnapshot(host: Host, dir: string): Promise<DatabaseSnapshot> {
  const manifest = await readManifest(host, dir, RESTORE_FAILURE);
  return { method: manifest.method, dir, files: manifest.files, createdAt: manifest.createdAt, durationMs: manifest.durationMs };
}
