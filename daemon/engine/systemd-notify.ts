import type { Host } from '../hosts/host.js';

/** How much more time a stop gets while a rollback runs (systemd's EXTEND_TIMEOUT_USEC; docs/reliability.md). */
export const ROLLBACK_STOP_EXTENSION_S = 900;

export interface NotifyOptions {
  /** The manager's socket; default: NOTIFY_SOCKET of this process. Unset means not under systemd: nothing is sent. */
  readonly socket?: string;
  /**
   * Wait until the manager has read the message (systemd-notify's BARRIER=1, at most 5 s). Without
   * it the child may be gone before systemd looks up its cgroup, and the message is dropped.
   */
  readonly block?: boolean;
}

/** Values travel as one `KEY=value` line each: a newline in a value would forge another field. */
function assignments(fields: Readonly<Record<string, string>>): string[] {
  return Object.entries(fields).map(([key, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`not a notify field name: ${key}`);
    return `${key}=${value.replace(/[\r\n]+/g, ' ')}`;
  });
}

/**
 * Sends fields to the service manager (sd_notify(3)). Node 20 has no datagram Unix sockets, so
 * this runs `systemd-notify`, a child process (the unit sets NotifyAccess=all; systemd/README.md).
 * Resolves whether the message was confirmed; a lost notification never rejects (callers log it).
 */
export async function notify(host: Host, fields: Readonly<Record<string, string>>, options: NotifyOptions = {}): Promise<boolean> {
  const socket = options.socket ?? process.env.NOTIFY_SOCKET;
  if (!socket) return false;
  const args = [...(options.block === false ? ['--no-block'] : []), ...assignments(fields)];
  // The executor passes no environment implicitly: the socket is handed over explicitly.
  const result = await host.run({ file: 'systemd-notify', args, env: { NOTIFY_SOCKET: socket }, reject: false, timeoutMs: 10_000 })
    .catch(() => undefined);
  return result?.exitCode === 0;
}

/**
 * Under systemd (NOTIFY_SOCKET set), asks for more stop time so a rollback is not cut by SIGKILL
 * at TimeoutStopSec. Outside systemd it does nothing; a failure is only logged.
 */
export async function extendStopTimeout(host: Host, why: string, seconds = ROLLBACK_STOP_EXTENSION_S): Promise<boolean> {
  return notify(host, { EXTEND_TIMEOUT_USEC: String(seconds * 1_000_000), STATUS: `stopping: ${why}` });
}
