// Secrets (the status token, webhook tokens, SMTP passwords) live in root-only files on the
// daemon's own machine, never in the config. One reader checks them all alike.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { NcupdError } from '../errors/ncupd-error.js';

export interface RootOnlyFileRules {
  /** What the file holds, for messages ("token", "SMTP password"). */
  readonly what: string;
  /** The uid that must own the file: the daemon's own (root). */
  readonly ownerUid: number;
  /** The caller's coded error: `missing` (cannot be opened) or `insecure` (anything a stranger could have touched). */
  readonly fail: (kind: 'missing' | 'insecure', detail: string, cause?: unknown) => NcupdError;
}

/**
 * The content of `path`, refused unless it is a regular file (not a symlink), owned by `ownerUid`
 * and closed to group and others. Checked through the open descriptor, so what is checked is what is read.
 */
export async function readRootOnlyFile(path: string, rules: RootOnlyFileRules): Promise<string> {
  const { what, ownerUid, fail } = rules;
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw code === 'ELOOP' ? fail('insecure', `${what} file is a symlink: ${path}`, error) : fail('missing', `${what} file cannot be opened (${code}): ${path}`, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw fail('insecure', `${what} file is not a regular file: ${path}`);
    if (stat.uid !== ownerUid) throw fail('insecure', `${what} file is owned by uid ${stat.uid}, not ${ownerUid}: ${path}`);
    if ((stat.mode & 0o077) !== 0) {
      throw fail('insecure', `${what} file has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, readable by group or others: ${path}`);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
