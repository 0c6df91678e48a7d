import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { NcupdError } from '../errors/ncupd-error.js';
import { readRootOnlyFile } from '../config/root-only-file.js';

/** Shorter tokens can be guessed; `createTokenFile` writes 64 hex characters. */
export const MIN_TOKEN_LENGTH = 32;

export interface ReadTokenOptions {
  /** The uid that must own the file; root, because the daemon runs as root (tests may pass their own). */
  readonly ownerUid?: number;
}

/**
 * The bearer token of the status endpoint, from a file only root can read. The file is opened
 * without following symlinks and checked through the open descriptor, so what is checked is what is read.
 */
export async function readToken(path: string, options: ReadTokenOptions = {}): Promise<string> {
  const token = (await readRootOnlyFile(path, {
    what: 'token', ownerUid: options.ownerUid ?? 0,
    fail: (kind, detail, cause) => new NcupdError(kind === 'missing' ? 'NCUPD_TOKEN_MISSING' : 'NCUPD_TOKEN_INSECURE', { detail, cause }),
  })).trim();
  if (token === '') throw new NcupdError('NCUPD_TOKEN_MISSING', { detail: `token file is empty: ${path}` });
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new NcupdError('NCUPD_TOKEN_INSECURE', { detail: `token in ${path} must be at least ${MIN_TOKEN_LENGTH} characters without spaces` });
  }
  return token;
}

/**
 * Writes a new random token (32 bytes, hex) for `ncupd install-service`. The file is created 0600
 * with O_EXCL, so the token never exists with a wider mode and an existing file is never replaced
 * (EEXIST: the caller decides whether to keep the old token).
 */
export async function createTokenFile(path: string): Promise<string> {
  const token = randomBytes(32).toString('hex');
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(`${token}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return token;
}
