// Which data-snapshot method a run uses: the configured one, refused when it would not snapshot
// exactly this instance's data (no backup, no update), or under `auto` the cheapest exact one
// that applies here, else `none` (reported as a risk, never silently).
import type { Host } from '../../hosts/host.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import type { DataMethodId, DataSnapshotMethod, DataTarget } from './method.js';
import { AUTO_ORDER, dataMethods } from './registry.js';

export type DataMethodSetting = DataMethodId | 'auto';

export interface DataPlan {
  readonly method: DataSnapshotMethod;
  readonly setting: DataMethodSetting;
  /** Why each method tried before the chosen one does not apply here. */
  readonly refusals: Readonly<Partial<Record<DataMethodId, string>>>;
}

/** Whether a method applies; a missing tool or a failing probe is a refusal with its words, not a crash. */
export async function tryApplies(host: Host, method: DataSnapshotMethod, target: DataTarget, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const verdict = await method.applies(host, target, signal);
    return verdict.ok ? undefined : verdict.reason;
  } catch (error) {
    return `probing for ${method.id} failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function planDataSnapshot(host: Host, target: DataTarget, setting: DataMethodSetting, options: { instance?: string; signal?: AbortSignal } = {}): Promise<DataPlan> {
  if (setting !== 'auto') {
    const method = dataMethods[setting];
    const reason = await tryApplies(host, method, target, options.signal);
    if (reason !== undefined) {
      throw new NcupdError('NCUPD_DATA_SNAPSHOT_REFUSED', { stage: 'preflight', instance: options.instance, detail: `dataSnapshot.method ${setting} does not apply to ${target.dataDir}: ${reason}` });
    }
    return { method, setting, refusals: {} };
  }
  const refusals: Partial<Record<DataMethodId, string>> = {};
  for (const id of AUTO_ORDER) {
    const reason = await tryApplies(host, dataMethods[id], target, options.signal);
    if (reason === undefined) return { method: dataMethods[id], setting, refusals };
    refusals[id] = reason;
  }
  return { method: dataMethods.none, setting, refusals };
}
