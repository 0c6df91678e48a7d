import type { Host } from '../hosts/host.js';
import { notify, type NotifyOptions } from '../engine/systemd-notify.js';

// The daemon's side of Type=notify (systemd/ncupd.service, sd_notify(3)). State changes wait for
// the manager (BARRIER=1) so none is lost; status lines and watchdog pings do not, so a busy
// manager never delays the event loop, and one lost ping is covered by the next (half interval).

export { notify, type NotifyOptions };

export function ready(host: Host, statusText = 'ready', options: NotifyOptions = {}): Promise<boolean> {
  return notify(host, { READY: '1', STATUS: statusText }, options);
}

export function status(host: Host, text: string, options: NotifyOptions = {}): Promise<boolean> {
  return notify(host, { STATUS: text }, { ...options, block: options.block ?? false });
}

export function watchdog(host: Host, options: NotifyOptions = {}): Promise<boolean> {
  return notify(host, { WATCHDOG: '1' }, { ...options, block: options.block ?? false });
}

/** Before a SIGHUP reload; send ready() when the new configuration is in force. */
export function reloading(host: Host, options: NotifyOptions = {}): Promise<boolean> {
  return notify(host, { RELOADING: '1', STATUS: 'reloading the configuration' }, options);
}

export function stopping(host: Host, statusText = 'stopping', options: NotifyOptions = {}): Promise<boolean> {
  return notify(host, { STOPPING: '1', STATUS: statusText }, options);
}

/** Moves the running start or stop timeout to `seconds` from now (EXTEND_TIMEOUT_USEC). */
export function extendTimeout(host: Host, seconds: number, options: NotifyOptions = {}): Promise<boolean> {
  return notify(host, { EXTEND_TIMEOUT_USEC: String(Math.round(seconds * 1_000_000)) }, options);
}

export interface RepeatingNotification {
  /** Milliseconds between two messages. */
  readonly intervalMs: number;
  stop(): void;
}

/** Sends `send` every `intervalMs`, never two at once; the timer does not keep the process alive. */
function repeat(intervalMs: number, send: () => Promise<boolean>): RepeatingNotification {
  let inFlight = false;
  const tick = () => {
    if (inFlight) return;
    inFlight = true;
    void send().finally(() => { inFlight = false; });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { intervalMs, stop: () => clearInterval(timer) };
}

/**
 * The watchdog interval this process must honour: half of WATCHDOG_USEC, when the manager set it
 * for this very process (WATCHDOG_PID, as sd_watchdog_enabled(3) checks).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export interface WatchdogOptions extends NotifyOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly pid?: number;
}

/** Pings the watchdog at half of WATCHDOG_USEC; undefined when no watchdog is asked for. */
export function startWatchdog(host: Host, options: WatchdogOptions = {}): RepeatingNotification | undefined {
  const env = options.env ?? process.env;
  const intervalMs = watchdogIntervalMs(env, options.pid);
  if (intervalMs === undefined) return undefined;
  const notifyOptions: NotifyOptions = { socket: options.socket ?? env.NOTIFY_SOCKET, block: options.block };
  void watchdog(host, notifyOptions);
  return repeat(intervalMs, () => watchdog(host, notifyOptions));
}

/**
 * Keeps a stop (or start) from timing out while long work runs, such as a rollback that waits for
 * a database: extends by `seconds` now and again at every half of it, until stop().
 */
export function holdTimeout(host: Host, why: string, seconds: number, options: NotifyOptions = {}): RepeatingNotification {
  const send = () => notify(host, { EXTEND_TIMEOUT_USEC: String(Math.round(seconds * 1_000_000)), STATUS: why }, options);
  void send();
  return repeat(Math.max(1, Math.floor((seconds * 1000) / 2)), send);
}
