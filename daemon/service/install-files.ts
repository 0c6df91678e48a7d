import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NcupdError } from '../errors/ncupd-error.js';

// The files `ncupd install-service` generates (systemd/README.md). Each one ends with a checksum of
// its text, so a later install can tell a file it wrote (replaced freely, on upgrade too) from one
// an operator edited (refused without --force; the edit is kept beside it).

/** The installed package: dist/, systemd/, docs/ and package.json side by side. */
export const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const UNIT_TEMPLATE = join(PACKAGE_DIR, 'systemd', 'ncupd.service');
export const SNAPSHOTS_TEMPLATE = join(PACKAGE_DIR, 'systemd', 'snapshots.conf');
export const MAIN_SCRIPT = join(PACKAGE_DIR, 'dist', 'daemon', 'cli', 'main.js');

const CHECKSUM_LINE = /^# ncupd-checksum: sha256:([0-9a-f]{64})\n$/m;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The file as written: its text and a last line with the checksum of that text. */
export function stamp(body: string): string {
  const text = body.endsWith('\n') ? body : `${body}\n`;
  return `${text}# ncupd-checksum: sha256:${sha256(text)}\n`;
}

/** Whether `content` is exactly what ncupd wrote (its checksum line matches the text above it). */
export function isPristine(content: string): boolean {
  const match = CHECKSUM_LINE.exec(content);
  if (!match || match.index + match[0].length !== content.length) return false;
  return sha256(content.slice(0, match.index)) === match[1];
}

/**
 * A value for a unit file: `%` is a specifier there and becomes `%%`. Whitespace, quotes and
 * backslashes would need quoting rules that differ between settings, so such paths are refused.
 */
export function unitPath(path: string): string {
  if (!path.startsWith('/') || /[\s"'\\;$]/.test(path) || [...path].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new NcupdError('NCUPD_CONFIG_INVALID', { detail: `cannot be written into a systemd unit: ${JSON.stringify(path)} (an absolute path without spaces, quotes, backslashes, ";" or "$" is needed)` });
  }
  return path.replace(/%/g, '%%');
}

/**
 * Node flags of the daemon. A 2 MB young generation instead of V8's 16 MB: the daemon idles
 * between ticks with a few MB of live objects, and an idle daemon should cost little memory
 * (docs/performance.md: about 10 MB less RSS; runs allocate big buffers outside the V8 heap).
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=2'] as const;

export interface UnitPaths {
  readonly node: string;
  readonly main: string;
  readonly config: string;
}

/** The unit template with this machine's node, ncupd and configuration paths. */
export function renderUnit(template: string, paths: UnitPaths): string {
  const execStart = `ExecStart=${unitPath(paths.node)} ${DAEMON_NODE_FLAGS.join(' ')} ${unitPath(paths.main)} daemon --config ${unitPath(paths.config)}`;
  if (!/^ExecStart=/m.test(template)) throw new Error('unit template has no ExecStart= line');
  const body = template
    .replace(/^ExecStart=.*$/m, execStart)
    .replace(/^(Documentation=.*)$/m, (line) => line.replaceAll('file:/usr/lib/ncupd/', `file:${unitPath(PACKAGE_DIR)}/`));
  return `# Written by \`ncupd install-service\` from ${UNIT_TEMPLATE}.\n${body}`;
}

export type FileAction = 'created' | 'replaced' | 'unchanged' | 'kept';

export interface FileResult {
  readonly path: string;
  readonly action: FileAction;
  /** Where an edited file was saved before --force replaced it. */
  readonly backup?: string;
}

export interface GeneratedFile {
  readonly path: string;
  /** Text without the checksum line. */
  readonly body: string;
}

/** What writing `file` would do; throws when it would replace an edited file without `force`. */
export async function planGenerated(file: GeneratedFile, force: boolean): Promise<FileAction> {
  const current = await readFile(file.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (current === undefined) return 'created';
  if (current === stamp(file.body)) return 'unchanged';
  if (isPristine(current) || force) return 'replaced';
  throw new NcupdError('NCUPD_USAGE', {
    detail: `refusing to replace ${file.path}: it was changed since ncupd wrote it`,
    hint: 'Move local changes into a drop-in (`systemctl edit ncupd`) and run again with --force; the edited file is kept as <file>.ncupd-old.',
  });
}

/** Writes through a temporary file and a rename, so a crash never leaves half a unit. */
export async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const temporary = `${path}.ncupd-new`;
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

export async function writeGenerated(file: GeneratedFile, action: FileAction): Promise<FileResult> {
  if (action === 'unchanged' || action === 'kept') return { path: file.path, action };
  let backup: string | undefined;
  if (action === 'replaced' && !isPristine(await readFile(file.path, 'utf8'))) {
    backup = `${file.path}.ncupd-old`;
    await copyFile(file.path, backup);
  }
  await writeAtomically(file.path, stamp(file.body), 0o644);
  return { path: file.path, action, ...(backup ? { backup } : {}) };
}
