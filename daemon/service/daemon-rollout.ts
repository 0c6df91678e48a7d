// The rollout in the daemon (docs/fleets.md): continued on every tick while one is open (not
// halted), started when an instance has an update due inside its window. Each instance runs as a
// scheduled transaction would; one outside its window or busy is waited for; one with nothing
// due counts as its policy result. A soak or a halt simply returns; the next tick looks again.
import type { NcupdConfig, InstanceConfig } from '../config/schema.js';
import type { RunSummary } from '../engine/journal-types.js';
import { errorText } from '../engine/journal.js';
import type { Host } from '../hosts/host.js';
import { healthChecker } from '../fleet/health-check.js';
import { runRollout } from '../fleet/rollout.js';
import { readRolloutState } from '../fleet/rollout-state.js';
import { viewRollout } from '../fleet/rollout-view.js';
import type { DaemonStatus } from './status-model.js';

/** Whether the daemon may start an instance's transaction now, later, or has nothing to run. */
export type Gate = { kind: 'now' } | { kind: 'later' | 'skip'; reason: string; result?: 'up-to-date' | 'held' | 'blocked' };

export interface DaemonRolloutDeps {
  /** The current config (SIGHUP may replace it). */
  readonly config: () => NcupdConfig;
  readonly stopping: () => boolean;
  readonly signal: AbortSignal;
  readonly host: Host;
  readonly log: { info(message: string): void; warn(message: string): void; error(message: string): void };
  readonly now: () => Date;
  readonly onAlert?: (instance: string, message: string) => void;
  readonly gate: (instance: InstanceConfig) => Gate;
  readonly installedVersion: (name: string) => string | undefined;
  /** Starts the instance's transaction as the daemon does; resolves with its summary. */
  readonly start: (name: string) => Promise<RunSummary>;
}

export interface DaemonRollout {
  tick(): Promise<void>;
  status(): Promise<Pick<DaemonStatus, 'rollout'>>;
  /** The rollout step in progress, if any (stop waits for it). */
  running(): Promise<void> | undefined;
}

export function daemonRollout(deps: DaemonRolloutDeps): DaemonRollout {
  const { log } = deps;
  let running: Promise<void> | undefined;
  let note: string | undefined;
  return {
    running: () => running,
    async status() {
      const config = deps.config();
      const state = await readRolloutState(config.stateDir).catch(() => undefined);
      return state ? { rollout: viewRollout(state, config.rollout) } : {};
    },
    async tick() {
      if (running || deps.stopping()) return;
      const config = deps.config();
      const stored = await readRolloutState(config.stateDir).catch((error: unknown) => {
        log.error(`rollout: ${errorText(error)}`);
        return null;
      });
      if (stored === null || stored?.halted) return;
      const open = stored !== undefined && !stored.finishedAt;
      if (!open && !config.instances.some((i) => deps.gate(i).kind === 'now')) return;
      running = runRollout({
        config, waitForSoak: false, signal: deps.signal, checkHealthy: healthChecker({ host: deps.host, signal: deps.signal }),
        defer: (instance) => {
          const g = deps.gate(instance);
          return g.kind === 'later' ? g.reason : undefined;
        },
        runInstance: async (instance) => {
          const g = deps.gate(instance);
          if (g.kind === 'skip') {
            const at = deps.now().toISOString();
            return { txid: '', instance: instance.name, result: g.result ?? 'held', from: deps.installedVersion(instance.name) ?? '?', to: undefined, startedAt: at, endedAt: at, windowMs: undefined, stages: [], message: g.reason };
          }
          return deps.start(instance.name);
        },
        emit: (event) => {
          if (event.type === 'ring-start') log.info(`rollout: ring ${event.ring} starts: ${event.instances.join(', ')}`);
          if (event.type === 'ring-complete') log.info(`rollout: ring ${event.ring} completed`);
          if (event.type === 'halted') {
            const message = `rollout halted: ${event.halt.instance} ended ${event.halt.result}${event.halt.errorCode ? ` (${event.halt.errorCode})` : ''}; no further instance starts until \`ncupd rollout resume\``;
            log.error(message);
            deps.onAlert?.(event.halt.instance, message);
          }
        },
      }).then((report) => {
        const next = report.outcome === 'soaking' ? `soaking until ${report.soakUntil}` : report.outcome;
        if (next !== note) log.info(`rollout ${report.state.id}: ${next}`);
        note = next;
      }, (error: unknown) => {
        // Another process holds the rollout (`ncupd rollout` in a terminal): the next tick tries again.
        if (errorText(error) !== note) log.warn(`rollout: ${errorText(error)}`);
        note = errorText(error);
      }).finally(() => {
        running = undefined;
      });
    },
  };
}
