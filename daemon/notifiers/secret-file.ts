// Notifier credentials (webhook tokens, SMTP passwords) live in root-only files, never in the
// config (which operators share and paste): shared/design.md, Host seam. The files are on the
// daemon's own machine, so they are read here with node:fs rather than through an instance's host.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { NcupdError } from '../errors/ncupd-error.js';

export interface ReadSecretOptions {
  /** The uid that must own the file: the daemon's own (root). */
  readonly ownerUid?: number;
}

function unsafe(path: string, detail: string, cause?: unknown): NcupdError {
  return new NcupdError('NCUPD_NOTIFY_SECRET_UNSAFE', {
    detail: `${detail}: ${path}`, cause, hint: `Run \`chown root:root ${path} && chmod 600 ${path}\`, with the token or password on its first line.`,
  });
}

/**
 * The first line of `path`, refused unless the file is a regular file (not a symlink), owned by the
 * daemon's user and closed to group and others. Checked through the open descriptor, so what is
 * checked is what is read.
 */
export async function readSecretFile(path: string, what: string, options: ReadSecretOptions = {}): Promise<string> {
  const ownerUid = options.ownerUid ?? process.geteuid?.() ?? 0;
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw unsafe(path, code === 'ELOOP' ? `${what} file is a symlink` : `${what} file cannot be opened (${code})`, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unsafe(path, `${what} file is not a regular file`);
    if (stat.uid !== ownerUid) throw unsafe(path, `${what} file is owned by uid ${stat.uid}, not ${ownerUid}`);
    if ((stat.mode & 0o077) !== 0) {
      throw unsafe(path, `${what} file has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, readable by group or others`);
    }
    const secret = (await handle.readFile('utf8')).split('\n')[0]?.trim() ?? '';
    if (secret === '') throw unsafe(path, `${what} file is empty`);
    return secret;
  } finally {
    await handle.close();
  }
}
