import { Counter, Gauge, Registry } from 'prom-client';
import type { RunSummary } from '../engine/journal-types.js';
import type { DaemonStatus, InstanceStatus } from '../service/status-model.js';
import { isUpdateAvailable } from './instance-state.js';

const DECISIONS = ['update', 'hold', 'blocked', 'up-to-date', 'unknown'] as const satisfies readonly InstanceStatus['decision'][];
const RESULTS = ['up-to-date', 'held', 'blocked', 'updated', 'rolled-back', 'rollback-failed', 'failed'] as const satisfies readonly RunSummary['result'][];

/**
 * The Nextcloud instance's label. Not `instance`: Prometheus sets `instance` to the scrape target
 * and renames a scraped `instance` label to `exported_instance`, which would break every query.
 */
export const INSTANCE_LABEL = 'nextcloud';

type InstanceGauge = { readonly name: string; readonly help: string; readonly value: (i: InstanceStatus) => number | undefined };

const seconds = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms / 1000;
};
const flag = (value: boolean | undefined): number | undefined => (value === undefined ? undefined : value ? 1 : 0);
const FAILED_RESULTS = new Set(['rolled-back', 'rollback-failed', 'failed']);

/** One gauge per instance fact; a fact the daemon does not know yet has no sample (not a fake 0). */
const INSTANCE_GAUGES: readonly InstanceGauge[] = [
  { name: 'ncupd_update_available', help: 'Whether a newer release is offered (whatever the policy decides).', value: (i) => flag(isUpdateAvailable(i)) },
  { name: 'ncupd_update_first_seen_timestamp_seconds', help: 'When the offered release was first seen.', value: (i) => seconds(i.firstSeenAt) },
  { name: 'ncupd_maintenance_mode', help: 'Whether the instance is in maintenance mode.', value: (i) => flag(i.maintenance?.on) },
  { name: 'ncupd_last_check_timestamp_seconds', help: 'End of the last check against the update server.', value: (i) => seconds(i.lastCheckAt) },
  { name: 'ncupd_last_check_success', help: 'Whether the last check against the update server succeeded.', value: (i) => (i.lastCheckAt === undefined ? undefined : flag(i.lastCheckError === undefined)) },
  { name: 'ncupd_last_run_timestamp_seconds', help: 'End of the last update run.', value: (i) => seconds(i.lastRun?.endedAt) },
  { name: 'ncupd_last_run_success', help: 'Whether the last update run ended without failure or rollback.', value: (i) => (i.lastRun ? flag(!FAILED_RESULTS.has(i.lastRun.result)) : undefined) },
  { name: 'ncupd_last_window_seconds', help: 'How long the last run kept the instance in maintenance mode.', value: (i) => (i.lastRun?.windowMs === undefined ? undefined : i.lastRun.windowMs / 1000) },
  { name: 'ncupd_last_snapshot_age_seconds', help: 'Age of the newest snapshot.', value: (i) => i.lastSnapshot?.ageSeconds },
  { name: 'ncupd_last_snapshot_bytes', help: 'Size of the newest snapshot.', value: (i) => i.lastSnapshot?.sizeBytes },
  { name: 'ncupd_paused', help: 'Whether updates of the instance are paused.', value: (i) => flag(i.paused) },
  { name: 'ncupd_run_in_progress', help: 'Whether an update run is in progress.', value: (i) => flag(i.running !== undefined) },
  { name: 'ncupd_open_transactions', help: 'Transactions a crash or a missing resource left open (recovery pending).', value: (i) => i.openTransactions },
  { name: 'ncupd_next_window_timestamp_seconds', help: 'Start of the next maintenance window.', value: (i) => seconds(i.nextWindow) },
  { name: 'ncupd_window_open', help: 'Whether a maintenance window is open now.', value: (i) => flag(i.windowOpen) },
];

const INSTANCE_COUNTERS = [
  { name: 'ncupd_updates_total', help: 'Runs that updated the instance, from the history.', value: (i: InstanceStatus) => i.updateCount },
  { name: 'ncupd_rollbacks_total', help: 'Runs that ended rolled back or with an incomplete rollback, from the history.', value: (i: InstanceStatus) => i.rollbackCount },
] as const;

/**
 * The Prometheus text exposition of one status snapshot. A fresh registry per scrape keeps no
 * state between scrapes, so an instance removed from the config disappears from the output.
 */
export async function renderMetrics(status: DaemonStatus): Promise<{ readonly contentType: string; readonly body: string }> {
  const registry = new Registry();
  const registers = [registry];
  const daemonGauge = (name: string, help: string, value: number, labels: Record<string, string> = {}): void => {
    new Gauge({ name, help, labelNames: Object.keys(labels), registers }).set(labels, value);
  };
  daemonGauge('ncupd_daemon_info', 'The running ncupd daemon (value 1).', 1, { version: status.version });
  daemonGauge('ncupd_daemon_start_time_seconds', 'When the daemon started.', seconds(status.startedAt) ?? 0);
  daemonGauge('ncupd_config_loaded_timestamp_seconds', 'When the configuration in force was loaded.', seconds(status.configLoadedAt) ?? 0);
  daemonGauge('ncupd_config_reload_failed', 'Whether the last configuration reload failed (the previous configuration stays in force).', flag(status.configError !== undefined) ?? 0);

  const info = new Gauge({ name: 'ncupd_instance_info', help: 'Versions of an instance (value 1).', labelNames: [INSTANCE_LABEL, 'host', 'installed_version', 'available_version'], registers });
  const decision = new Gauge({ name: 'ncupd_update_decision', help: 'The policy decision for the offered release (1 for the current one).', labelNames: [INSTANCE_LABEL, 'decision'], registers });
  const result = new Gauge({ name: 'ncupd_last_run_result', help: 'The result of the last run (1 for the current one).', labelNames: [INSTANCE_LABEL, 'result'], registers });
  const gauges = INSTANCE_GAUGES.map((g) => ({ ...g, metric: new Gauge({ name: g.name, help: g.help, labelNames: [INSTANCE_LABEL], registers }) }));
  const counters = INSTANCE_COUNTERS.map((c) => ({ ...c, metric: new Counter({ name: c.name, help: c.help, labelNames: [INSTANCE_LABEL], registers }) }));

  // The rollout (docs/fleets.md): registered always, sampled only when rings are configured and a rollout ran.
  const rolloutHalted = new Gauge({ name: 'ncupd_rollout_halted', help: 'Whether the rollout is halted until `ncupd rollout resume` (1) or not (0).', labelNames: ['rollout'], registers });
  const rolloutSoak = new Gauge({ name: 'ncupd_rollout_soak_until_timestamp_seconds', help: 'When the soak before the next ring of the rollout ends.', labelNames: ['rollout', 'ring'], registers });
  if (status.rollout) {
    rolloutHalted.set({ rollout: status.rollout.id }, status.rollout.halted ? 1 : 0);
    const until = seconds(status.rollout.soakUntil);
    if (until !== undefined) rolloutSoak.set({ rollout: status.rollout.id, ring: status.rollout.currentRing ?? '' }, until);
  }

  for (const instance of status.instances) {
    const labels = { [INSTANCE_LABEL]: instance.name };
    info.set({ ...labels, host: instance.host, installed_version: instance.installedVersion ?? '', available_version: instance.available ?? '' }, 1);
    // State sets: one sample per possible value, so `== 1` selects and alerts need no regex.
    for (const d of DECISIONS) decision.set({ ...labels, decision: d }, instance.decision === d ? 1 : 0);
    if (instance.lastRun) for (const r of RESULTS) result.set({ ...labels, result: r }, instance.lastRun.result === r ? 1 : 0);
    for (const g of gauges) {
      const value = g.value(instance);
      if (value !== undefined) g.metric.set(labels, value);
    }
    // Counters from the history: they only grow while the history is kept, as counter semantics want.
    for (const c of counters) c.metric.inc(labels, c.value(instance));
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}
