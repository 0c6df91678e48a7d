// Small pieces the data-snapshot methods share: their failures carry the same codes as the
// database methods' (taking: NCUPD_SNAPSHOT_FAILED, restoring: NCUPD_RESTORE_FAILED).
import { makePrivateDir } from '../../engine/host-fs.js';
import type { Host } from '../../hosts/host.js';
import { fail, LONG_MS, RESTORE_FAILURE, runTool, TAKE_FAILURE } from '../database/run-tool.js';
import type { DataMethodId, DataSnapshot, DataTarget } from './method.js';
import { runFolder } from './target.js';

export { fail, LONG_MS, RESTORE_FAILURE, runTool, TAKE_FAILURE };

/** The run's folder below the home, root-only, created with its parents. */
export async function makeRunFolder(host: Host, target: DataTarget, txid: string): Promise<string> {
  await makePrivateDir(host, target.home);
  const folder = runFolder(target, txid);
  await makePrivateDir(host, folder);
  return folder;
}

export function record(method: DataMethodId, target: DataTarget, txid: string, fields: { location: string; replacedAt: string; started: number; bytes: number; extra?: Record<string, string> }): DataSnapshot {
  return {
    method, txid, dataDir: target.dataDir, location: fields.location, replacedAt: fields.replacedAt, extra: fields.extra ?? {},
    createdAt: new Date().toISOString(), durationMs: Date.now() - fields.started, bytes: fields.bytes,
  };
}

/** Bytes below a path on its own filesystem. */
export async function bytesBelow(host: Host, path: string, signal?: AbortSignal): Promise<number> {
  const result = await host.run({ file: 'du', args: ['-s', '-B1', '--one-file-system', '--', path], timeoutMs: LONG_MS, reject: false, signal });
  const value = Number(result.stdout.trim().split(/\s+/)[0]);
  return Number.isFinite(value) ? value : 0;
}
