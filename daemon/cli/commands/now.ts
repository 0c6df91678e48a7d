import { createLocalHost } from '../../hosts/local/index.js';
import { runUpdate } from '../../engine/run-update.js';
import { withInstanceHost } from '../../hosts/registry.js';
import type { RunSummary } from '../../engine/journal-types.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import { explain, progressLine, summaryLine } from '../progress.js';
import { progressPrinter } from '../output.js';
import { extendStopTimeout } from '../../engine/systemd-notify.js';
import { askDaemon, daemonAnswers } from '../../control/client.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import type { ErrorCode } from '../../errors/catalog.js';

export interface NowOptions extends GlobalOptions {
  dryRun?: boolean;
}

const EXIT: Record<RunSummary['result'], number> = { updated: 0, 'up-to-date': 0, held: 0, blocked: 0, failed: 1, 'rolled-back': 7, 'rollback-failed': 8 };

/** The running daemon does the run; this terminal follows its progress and summary. */
async function runThroughDaemon(options: NowOptions, socket: string): Promise<number> {
  let exit = 0;
  let refused: NcupdError | undefined;
  const summaries: RunSummary[] = [];
  // The run is the daemon's: Ctrl-C stops following it, not the run (`ncupd status` shows it).
  const detach = () => {
    process.stderr.write('stopped following; the daemon goes on with the run (see `ncupd status`)\n');
    process.exit(exit);
  };
  process.on('SIGINT', detach);
  try {
    await askDaemon(socket, { cmd: 'now', instance: options.instance }, (reply) => {
      if (reply.type === 'started' && !options.json) process.stdout.write(`${reply.instance}: transaction ${reply.txid} started by the ncupd daemon\n`);
      if (reply.type === 'event') {
        const line = progressLine(reply.event);
        if (line && !options.json) process.stdout.write(`${line}\n`);
      }
      if (reply.type === 'summary') {
        summaries.push(reply.summary);
        exit = Math.max(exit, EXIT[reply.summary.result]);
        if (!options.json) process.stdout.write([summaryLine(reply.summary), ...explain(reply.summary)].join('\n') + '\n');
      }
      if (reply.type === 'error') refused = new NcupdError(reply.error.code as ErrorCode, { detail: reply.error.message });
    });
    if (refused) throw refused;
  } finally {
    process.off('SIGINT', detach);
  }
  if (options.json) process.stdout.write(JSON.stringify(summaries.length === 1 ? summaries[0] : summaries) + '\n');
  return exit;
}

/** `ncupd now`: one transaction per instance, with live progress and a summary; through the daemon when one runs. */
export async function runNow(options: NowOptions): Promise<number> {
  const config = resolveConfig(options);
  if (!options.path && !options.dryRun && (await daemonAnswers(config.daemon.controlSocket))) return runThroughDaemon(options, config.daemon.controlSocket);
  const host = createLocalHost();
  const summaries: RunSummary[] = [];
  let exit = 0;
  // Ctrl-C or SIGTERM must not leave a half-updated instance: the run is cancelled, which fails the
  // current stage and rolls back; a second signal is refused while the rollback runs.
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancel.signal.aborted) {
      process.stderr.write(`${signal}: a rollback is running; it finishes by itself, stopping now would leave the instance half-updated\n`);
      return;
    }
    process.stderr.write(`${signal}: cancelling the run; everything done so far is rolled back\n`);
    // Under systemd the rollback gets its own stop time (docs/reliability.md, "Stopping").
    void extendStopTimeout(host, 'rolling back a cancelled update');
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A dropped SSH session hangs up: same as SIGTERM, and writes to the dead terminal must not crash the rollback.
  process.on('SIGHUP', onSignal);
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const bar = options.json ? undefined : progressPrinter(process.stderr);
  for (const instance of selectInstances(config, options.instance)) {
    if (cancel.signal.aborted) break;
    if (!options.json) process.stdout.write(`${instance.name}: updating ${instance.path} (strategy ${instance.strategy}${options.dryRun ? ', dry run' : ''})\n`);
    // A remote instance gets its SSH host; the release is still downloaded and verified here.
    const summary = await withInstanceHost(instance, host, (instanceHost) => runUpdate({
      host: instanceHost, orchestrator: instanceHost === host ? undefined : host, config, instance, dryRun: options.dryRun, signal: cancel.signal,
      emit: (event) => {
        if (event.type === 'download') bar?.(event);
        const line = progressLine(event);
        // What a rollback waits for reaches the operator even with --json (on stderr, stdout stays JSON).
        if (line && options.json && (event.type === 'waiting' || event.type === 'alert')) process.stderr.write(`${line}\n`);
        else if (line && !options.json) process.stdout.write(`${line}\n`);
      },
    }));
    summaries.push(summary);
    exit = Math.max(exit, EXIT[summary.result]);
    if (!options.json) process.stdout.write([summaryLine(summary), ...explain(summary)].join('\n') + '\n');
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
  if (options.json) process.stdout.write(JSON.stringify(summaries.length === 1 ? summaries[0] : summaries) + '\n');
  return exit;
}
