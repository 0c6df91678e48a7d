// Notifier credentials (webhook tokens, SMTP passwords) live in root-only files, never in the
// config (which operators share and paste): shared/design.md, Host seam. The files are on the
// daemon's own machine, so they are read here with node:fs rather than through an instance's host.
import { readRootOnlyFile } from '../config/root-only-file.js';
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
  const content = await readRootOnlyFile(path, {
    what, ownerUid: options.ownerUid ?? process.geteuid?.() ?? 0,
    // Every problem is the same to the operator here: the file is not a usable root-only secret.
    fail: (_kind, detail, cause) => unsafe(path, detail.replace(`: ${path}`, ''), cause),
  });
  const secret = content.split('\n')[0]?.trim() ?? '';
  if (secret === '') throw unsafe(path, `${what} file is empty`);
  return secret;
}
