import type { Host } from '../hosts/host.js';

/** How much more time a stop gets while a rollback runs (systemd's EXTEND_TIMEOUT_USEC; docs/reliability.md). */
export const ROLLBACK_STOP_EXTENSION_S = 900;

/**
 * Under systemd (NOTIFY_SOCKET set), asks for more stop time so a rollback is not cut by SIGKILL
 * at TimeoutStopSec. Node 20 has no datagram Unix sockets, so this goes through systemd-notify
 * (the unit sets NotifyAccess=all). Outside systemd it does nothing; a failure is only logged.
 */
export async function extendStopTimeout(host: Host, why: string, seconds = ROLLBACK_STOP_EXTENSION_S): Promise<boolean> {
  const socket = process.env.NOTIFY_SOCKET;
  if (!socket) return false;
  // The executor passes no environment implicitly: the socket is handed over explicitly.
  const result = await host.run({ file: 'systemd-notify', args: [`EXTEND_TIMEOUT_USEC=${seconds * 1_000_000}`, `STATUS=stopping: ${why}`], env: { NOTIFY_SOCKET: socket }, reject: false, timeoutMs: 5000 })
    .catch(() => undefined);
  return result?.exitCode === 0;
}
