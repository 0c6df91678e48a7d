import type { InstanceStatus } from '../service/status-model.js';

/** ok: green, attention: amber, failed: red, unknown: grey (nothing checked yet). */
export type StateLevel = 'ok' | 'attention' | 'failed' | 'unknown';

export interface InstanceState {
  readonly level: StateLevel;
  readonly label: string;
}

/**
 * One word for an instance, worst first: what needs a human now outranks what merely waits. The
 * page colours it; `ncupd status` can print the same label.
 */
export function describeInstanceState(instance: InstanceStatus): InstanceState {
  const result = instance.lastRun?.result;
  if (result === 'rollback-failed' || (instance.openTransactions > 0 && instance.running === undefined)) {
    return { level: 'failed', label: 'rollback incomplete' };
  }
  if (result === 'rolled-back') return { level: 'failed', label: 'rolled back' };
  if (instance.running) return { level: 'attention', label: `updating (${instance.running.stage})` };
  if (instance.maintenance?.on) return { level: 'attention', label: 'maintenance on' };
  if (result === 'failed') return { level: 'attention', label: 'last run failed' };
  if (instance.decision === 'update') return { level: 'attention', label: 'update pending' };
  if (instance.decision === 'hold') return { level: 'attention', label: 'update held' };
  if (instance.decision === 'blocked') return { level: 'attention', label: 'update blocked' };
  if (instance.lastCheckError !== undefined) return { level: 'attention', label: 'check failing' };
  if (instance.decision === 'up-to-date') return { level: 'ok', label: result === 'updated' ? 'updated' : 'up to date' };
  return { level: 'unknown', label: 'not checked yet' };
}

/** A newer release is offered, whatever the policy says about it. */
export function isUpdateAvailable(instance: InstanceStatus): boolean {
  return instance.available !== undefined && instance.decision !== 'up-to-date' && instance.decision !== 'unknown'
    && instance.available !== instance.installedVersion;
}
