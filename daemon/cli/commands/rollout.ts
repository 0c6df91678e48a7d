import { resumeRollout, runRollout, type RolloutEvent } from '../../fleet/rollout.js';
import { healthChecker } from '../../fleet/health-check.js';
import { instanceRunner } from '../../fleet/run-instance.js';
import { rolloutLines, viewRollout } from '../../fleet/rollout-view.js';
import { orchestratorHost } from '../../hosts/registry.js';
import { extendStopTimeout } from '../../engine/systemd-notify.js';
import { resolveConfig, type GlobalOptions } from '../context.js';

export interface RolloutOptions extends GlobalOptions {
  /** commander's --no-wait: stop at a soak instead of waiting for it. */
  wait?: boolean;
}

const EXIT: Record<string, number> = { failed: 1, error: 1, 'rolled-back': 7, 'rollback-failed': 8 };

function eventLine(event: RolloutEvent): string | undefined {
  switch (event.type) {
    case 'ring-start': return `ring ${event.ring}: starting ${event.instances.length} instance(s): ${event.instances.join(', ')}`;
    case 'instance-start': return `  ${event.instance}: transaction started`;
    case 'instance-end': {
      const r = event.record;
      return `  ${event.instance}: ${r.result}${r.to && r.to !== r.from ? ` ${r.from} -> ${r.to}` : r.from ? ` ${r.from}` : ''}${r.errorCode ? ` (${r.errorCode})` : ''}`;
    }
    case 'ring-complete': return `ring ${event.ring}: completed`;
    case 'soaking': return `ring ${event.ring}: soaking until ${event.until}`;
    case 'halted': return `HALTED: ${event.halt.instance} ended ${event.halt.result}${event.halt.errorCode ? ` (${event.halt.errorCode})` : ''}; no further instance starts (running ones finish)`;
  }
}

/** `ncupd rollout`: start the configured rollout or continue the open one. */
export async function runRolloutCommand(options: RolloutOptions): Promise<number> {
  const config = resolveConfig(options);
  const host = orchestratorHost();
  // As in `ncupd now`: a signal cancels; running transactions roll back, no new one starts.
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (cancel.signal.aborted) return;
    process.stderr.write(`${signal}: cancelling the rollout; running transactions roll back, \`ncupd rollout\` continues later\n`);
    void extendStopTimeout(host, 'rolling back a cancelled rollout');
    cancel.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    const report = await runRollout({
      config, waitForSoak: options.wait !== false, signal: cancel.signal,
      runInstance: instanceRunner({ config, host, signal: cancel.signal }),
      checkHealthy: healthChecker({ host, signal: cancel.signal }),
      emit: (event) => {
        const line = eventLine(event);
        if (line && !options.json) process.stdout.write(`${line}\n`);
      },
    });
    const view = viewRollout(report.state, config.rollout);
    if (options.json) process.stdout.write(`${JSON.stringify({ outcome: report.outcome, ...(report.soakUntil ? { soakUntil: report.soakUntil } : {}), rollout: view, summaries: report.summaries })}\n`);
    else process.stdout.write(`${rolloutLines(view).join('\n')}\n`);
    if (report.outcome === 'halted') return EXIT[report.state.halted?.result ?? 'failed'] ?? 1;
    return report.outcome === 'finished' || report.outcome === 'soaking' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/** `ncupd rollout resume`: clear the halt after the operator fixed its cause. */
export async function runRolloutResume(options: GlobalOptions): Promise<number> {
  const config = resolveConfig(options);
  const { state, cleared } = await resumeRollout(config);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ resumed: cleared !== undefined, ...(cleared ? { cleared } : {}), ...(state ? { rollout: viewRollout(state, config.rollout) } : {}) })}\n`);
  } else if (cleared) {
    process.stdout.write(`rollout ${state!.id}: halt cleared (${cleared.instance} ended ${cleared.result} at ${cleared.at}); run \`ncupd rollout\` to continue (the daemon continues in its next window)\n`);
  } else {
    process.stdout.write(state ? `rollout ${state.id} is not halted; nothing to resume\n` : 'no rollout has run yet; nothing to resume\n');
  }
  return 0;
}
