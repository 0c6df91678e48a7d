import { isNcupdError } from '../errors/ncupd-error.js';

// The codes that mean "the instance's host could not be reached", as opposed to a command that
// ran and failed there. Branch on codes, never on message text (shared/style.md, point 5).
const UNREACHABLE = new Set(['NCUPD_SSH_CONNECTION_LOST', 'NCUPD_SSH_CONNECT_FAILED']);

/**
 * Whether `error` (or an error it wraps) is a lost or refused connection to the instance's host.
 * After a lost one, the command it ran may still be running there: its outcome is unknown.
 */
export function isConnectionLoss(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (isNcupdError(e) && UNREACHABLE.has(e.code)) return true;
  }
  return false;
}
