import type { ErrorCode } from './catalog.js';

/** Documented exit codes of the ncupd command (docs/errors.md), by the kind of problem. */
export const EXIT_CODES = [
  { code: 1, meaning: 'an error not listed below (a command failed, an internal error)' },
  { code: 2, meaning: 'usage or configuration error: nothing was attempted' },
  { code: 3, meaning: 'the instance cannot be handled as it is (not found, unreadable, not installed, managed by something else, PHP outside the target\'s bounds)' },
  { code: 4, meaning: 'the update server or every download mirror failed: try again later' },
  { code: 5, meaning: 'a release was refused: signature, checksum, OpenPGP or archive safety' },
  { code: 6, meaning: 'nothing to fetch under the policy (`ncupd fetch`)' },
] as const;

export function exitCodeFor(code: ErrorCode): number {
  if (code === 'NCUPD_USAGE' || code.startsWith('NCUPD_CONFIG_') || code === 'NCUPD_INSTANCE_UNKNOWN' || code === 'NCUPD_CERTIFICATE_INVALID' || code === 'NCUPD_PGP_KEY_MISMATCH') return 2;
  if (code.startsWith('NCUPD_INSTANCE_') || code === 'NCUPD_INSTALL_TYPE_UNSUPPORTED' || code === 'NCUPD_PHP_UNSUPPORTED') return 3;
  if (code.startsWith('NCUPD_UPDATE_SERVER_') || code === 'NCUPD_DOWNLOAD_FAILED') return 4;
  if (/^NCUPD_(SIGNATURE|CHECKSUM|PGP|ARCHIVE|RELEASE)_/.test(code) || code === 'NCUPD_DOWNLOAD_TOO_LARGE') return 5;
  if (code === 'NCUPD_NO_RELEASE') return 6;
  return 1;
}
