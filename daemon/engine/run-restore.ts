import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import { archiveStrategy } from '../../strategies/archive/index.js';
import type { ProgressEvent, RunContext } from './context.js';
import { appendHistory, readHistory } from './history.js';
import { listUnfinishedTransactions, openJournal } from './journal.js';
import type { RunSummary } from './journal-types.js';
import { acquireLock } from './lock.js';
import { tidyWorkArea } from './retention.js';
import { runStages } from './runner.js';
import { newTxid } from './run-update.js';
import { UndoStack } from './undo-stack.js';
import { restorePreflightStage, restoreSnapshotStage, type RestoreSource } from './stages/restore.js';
import { applyStage, maintenanceOnStage, snapshotStage, waitCronStage } from './stages/window.js';
import { checksStage, finalProbeStage, maintenanceOffStage } from './stages/commit.js';
import { dirname, join } from 'node:path';
import { readDataRecord } from '../snapshots/data/record.js';
import { requireTransactionHost } from '../hosts/registry.js';

/**
 * The newest update of the instance whose way back still exists, as `ncupd rollback` offers it.
 * The history is this machine's; the snapshot and the old code tree are on the instance's host
 * (for a remote instance, the target: issue 6), so they are looked for through `host`.
 */
export async function findRestoreSource(host: Host, config: NcupdConfig, instance: InstanceConfig, options: { withData?: boolean } = {}): Promise<RestoreSource & { readonly updatedAt: string; readonly to: string | undefined }> {
  const history = await readHistory(config.stateDir, { instance: instance.name, limit: 1000 });
  const last = history.find((h) => h.result === 'updated' && h.kind !== 'restore');
  if (!last || history.indexOf(last) !== history.findIndex((h) => h.result === 'updated')) {
    throw new NcupdError('NCUPD_NO_SNAPSHOT', { instance: instance.name, detail: last ? `the last change of ${instance.name} was a restore; run \`ncupd history\`` : `no update of ${instance.name} in the history has a snapshot to go back to` });
  }
  const snapshotDir = last.snapshotDir ?? join(config.stateDir, 'snapshots', instance.name, last.txid);
  const oldTree = join(dirname(instance.path), `.ncupd-${instance.name}`, last.txid, 'old');
  const missing = !(await host.exists(snapshotDir)) ? snapshotDir : !(await host.exists(oldTree)) ? oldTree : undefined;
  if (missing) {
    throw new NcupdError('NCUPD_NO_SNAPSHOT', { instance: instance.name, detail: `the snapshot of ${last.txid} is gone (${missing}${host.kind === 'local' ? '' : ` on ${host.id}`}); retention keeps the newest ${instance.snapshots.keep}` });
  }
  const data = await readDataRecord(host, snapshotDir);
  if (options.withData && (!data || data.method === 'none')) {
    throw new NcupdError('NCUPD_NO_SNAPSHOT', { instance: instance.name, detail: `the update ${last.txid} took no data snapshot, so --with-data has nothing to put back; roll back without it` });
  }
  return { txid: last.txid, version: last.from, snapshotDir, oldTree, updatedAt: last.endedAt, to: last.to, data, withData: options.withData ?? false };
}

/** `ncupd rollback --yes`: the restore as a transaction (fresh snapshot first; undone completely if anything fails). */
export async function runRestore(options: { host: Host; config: NcupdConfig; instance: InstanceConfig; source: RestoreSource; emit?: (event: ProgressEvent) => void; signal?: AbortSignal }): Promise<RunSummary> {
  const { config, instance, host, source } = options;
  requireTransactionHost(instance, host, 'ncupd rollback', ['local', 'ssh']);
  const txid = newTxid();
  const startedAt = new Date().toISOString();
  const emit = options.emit ?? (() => undefined);
  const lock = await acquireLock(config.stateDir, instance.name, { txid, command: 'ncupd rollback' });
  let journal: Awaited<ReturnType<typeof openJournal>> | undefined;
  try {
    const unfinished = await listUnfinishedTransactions(config.stateDir, instance.name);
    if (unfinished.length > 0) {
      throw new NcupdError('NCUPD_UNFINISHED_TRANSACTION', { instance: instance.name, detail: `transaction ${unfinished[0]!.txid} did not finish; run \`ncupd recover --instance ${instance.name}\` first` });
    }
    journal = await openJournal(config.stateDir, instance.name, txid);
    const ctx: RunContext = {
      txid, host, config, instance, strategy: archiveStrategy, journal, undo: new UndoStack(journal),
      signal: options.signal ?? new AbortController().signal, dryRun: false, secrets: [], emit, state: {},
    };
    const stages = [restorePreflightStage(source), maintenanceOnStage, waitCronStage, snapshotStage, applyStage, restoreSnapshotStage(source), checksStage, maintenanceOffStage, finalProbeStage];
    const outcome = await runStages(ctx, stages);
    if (outcome.result === 'updated') await tidyWorkArea(ctx).catch(() => undefined);
    const summary: RunSummary = { txid, instance: instance.name, startedAt, endedAt: new Date().toISOString(), ...outcome, from: ctx.state.fromVersion ?? outcome.from, to: source.version, kind: 'restore', restoredFrom: source.txid };
    if (summary.result !== 'rollback-failed') await journal.append({ type: 'end', data: { result: summary.result } });
    await appendHistory(config.stateDir, summary);
    return summary;
  } finally {
    await journal?.close();
    await lock.release();
  }
}
