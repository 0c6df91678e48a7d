// For the benchmark (issue 9): times one method's take, restore and remove on a throwaway data
// directory. Restore swaps the directory (the live one is moved aside), so never point it at an
// instance's real data.
import type { Host } from '../../hosts/host.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import type { DataMethodId, DataTarget } from './method.js';
import { dataMethods } from './registry.js';

export interface DataSnapshotTiming {
  readonly method: DataMethodId;
  /** Inside the maintenance window: what the issue asks the benchmark to report. */
  readonly takeMs: number;
  readonly restoreMs: number;
  readonly removeMs: number;
  /** Bytes the snapshot wrote when taken (copies; 0 for copy-on-write). */
  readonly bytes: number;
}

export async function timeDataSnapshot(host: Host, method: DataMethodId, target: DataTarget, options: { txid?: string; signal?: AbortSignal } = {}): Promise<DataSnapshotTiming> {
  const chosen = dataMethods[method];
  const verdict = await chosen.applies(host, target, options.signal);
  if (!verdict.ok) throw new NcupdError('NCUPD_DATA_SNAPSHOT_REFUSED', { detail: `${method} does not apply to ${target.dataDir}: ${verdict.reason}` });
  const txid = options.txid ?? `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-bench0`;
  const started = Date.now();
  const snapshot = await chosen.take(host, target, txid, options.signal);
  const takeMs = Date.now() - started;
  const restoreStarted = Date.now();
  await chosen.restore(host, snapshot, options.signal);
  const restoreMs = Date.now() - restoreStarted;
  const removeStarted = Date.now();
  await chosen.remove(host, snapshot, options.signal);
  return { method, takeMs, restoreMs, removeMs: Date.now() - removeStarted, bytes: snapshot.bytes };
}
