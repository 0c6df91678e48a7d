import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../config/load-config.js';
import { createLogger } from '../../log/logger.js';
import { ready, reloading, startWatchdog, status as sdStatus, stopping as sdStopping } from '../../service/sd-notify.js';
import { startControlServer } from '../../control/server.js';
import { createLocalHost } from '../../hosts/local/index.js';
import { startDaemon } from '../../service/daemon.js';
import type { NcupdConfig } from '../../config/schema.js';
import { createNotifiers } from '../../notifiers/registry.js';
import { notify, outcomeLine } from '../../notifiers/notify.js';
import { pingHeartbeat } from '../../notifiers/heartbeat.js';
import type { Notification } from '../../notifiers/notifier.js';
import { startStatusServer, type StatusServer } from '../../status/server.js';

const packageJson = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** `ncupd daemon`: what the systemd unit runs. Returns when stopped (SIGTERM/SIGINT). */
export async function runDaemon(options: { config?: string }): Promise<number> {
  // Signals are caught from the first moment: a SIGTERM during start-up (recovery, the first check)
  // must not kill the process with its default action; it stops the daemon once it is up.
  let requested: NodeJS.Signals | undefined;
  let onRequest: (signal: NodeJS.Signals) => void = (signal) => {
    requested = signal;
  };
  const early = (signal: NodeJS.Signals) => onRequest(signal);
  process.on('SIGTERM', early);
  process.on('SIGINT', early);
  const host = createLocalHost();
  const configPath = options.config ?? DEFAULT_CONFIG_PATH;
  // journald priority prefixes under systemd, readable lines on a terminal, JSON on request.
  const log = createLogger({ format: loadConfigFile(configPath).daemon.logFormat });
  // NCUPD_TEST_TICK_MS: tests look at windows every half second instead of every minute.
  const tickMs = process.env.NCUPD_TEST_TICK_MS ? Number(process.env.NCUPD_TEST_TICK_MS) : undefined;
  // Notifiers are built from the config in force at send time, so a reload (SIGHUP) changes them too.
  const config: { current?: () => NcupdConfig } = {};
  const send = (notification: Notification) => {
    const now = config.current?.();
    if (!now || now.notifications.length === 0) return;
    const notifiers = createNotifiers(now.notifications, { instances: now.instances, hostFor: () => host });
    void notify(notifiers, notification).then((outcomes) => outcomes.forEach((o) => log.info(outcomeLine(o))));
  };
  const daemon = await startDaemon({
    configPath, host, log, version: packageJson.version, tickMs,
    onRunFinished: (summary) => send({ kind: 'run', summary }),
    onAlert: (instance, message) => send({ kind: 'alert', instance, message, at: new Date().toISOString() }),
    onActivity: (text) => void sdStatus(host, text),
    onChecked: () => {
      const url = config.current?.().daemon.heartbeatUrl;
      if (url) void pingHeartbeat(url);
    },
  });
  config.current = daemon.config;
  const { statusPort, statusListen, tokenFile } = daemon.config().daemon;
  let status: StatusServer | undefined;
  if (statusPort > 0) {
    try {
      status = await startStatusServer({ source: daemon, listen: statusListen, port: statusPort, tokenFile, log });
      log.info(`status endpoint on ${status.url}`);
    } catch (error) {
      log.error(`status endpoint NOT started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const control = await startControlServer(daemon, host, daemon.config().daemon.controlSocket, daemon.config().daemon.operatorGroup);
  log.info(`ncupd ${packageJson.version} daemon running: control socket ${daemon.config().daemon.controlSocket}, ${daemon.config().instances.length} instance(s)`);
  // Type=notify: systemd waits for READY until the socket and the endpoint listen.
  await ready(host, `watching ${daemon.config().instances.length} instance(s)`);
  const watchdogPings = startWatchdog(host);
  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn(`${signal}: already stopping; running rollbacks finish first`);
        return;
      }
      log.info(`${signal}: stopping`);
      // Not waiting for systemd to confirm: an idle daemon exits at once.
      void sdStopping(host, 'stopping', { block: false });
      stopping = daemon.stop().then(async () => {
        watchdogPings?.stop();
        control.close();
        await status?.close();
        resolve();
      });
    };
    onRequest = stop;
    if (requested) stop(requested);
  });
  process.on('SIGHUP', () => {
    void reloading(host).then(() => daemon.reload()).then(() => ready(host));
  });
  await stopped;
  // The logger is not closed: a late line (a notifier's outcome) would then be a write after end.
  log.info('stopped');
  return 0;
}
