import { createLocalHost } from '../../hosts/local/index.js';
import { recoverInstance } from '../../engine/recover.js';
import type { RunSummary } from '../../engine/journal-types.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import { explain, progressLine, summaryLine } from '../progress.js';
import { extendStopTimeout } from '../../engine/systemd-notify.js';
import { withInstanceHost } from '../../hosts/registry.js';

/**
 * `ncupd recover`: finishes or undoes every transaction a crash left open (the daemon runs the
 * same at start). SIGTERM stops a wait for a missing resource at once; the transaction stays open.
 */
export async function runRecover(options: GlobalOptions): Promise<number> {
  const config = resolveConfig(options);
  const host = createLocalHost();
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`${signal}: stopping after the current step; an unfinished rollback stays open for the next \`ncupd recover\`\n`);
    void extendStopTimeout(host, 'recovery step in progress');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.stdout.on('error', () => undefined);
  const summaries: RunSummary[] = [];
  let exit = 0;
  try {
    for (const instance of selectInstances(config, options.instance)) {
      // A remote instance is reached over a fresh connection, opened only when it has something to recover.
      const found = await withInstanceHost(instance, host, (instanceHost) => recoverInstance({
        host: instanceHost, config, instance, signal: stop.signal,
        emit: (event) => {
          const line = options.json ? undefined : progressLine(event);
          if (line) process.stdout.write(`${line}\n`);
        },
      }));
      if (found.length === 0 && !options.json) process.stdout.write(`${instance.name}: nothing to recover\n`);
      for (const summary of found) {
        summaries.push(summary);
        if (summary.result === 'rollback-failed') exit = 8;
        if (!options.json) process.stdout.write([summaryLine(summary), ...explain(summary)].join('\n') + '\n');
      }
      if (stop.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(summaries)}\n`);
  return exit;
}
