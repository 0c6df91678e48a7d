import { randomBytes } from 'node:crypto';
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import type { Host } from '../hosts/host.js';
import { strategies } from '../../strategies/registry.js';
import type { ProgressEvent, RunContext } from './context.js';
import { appendHistory } from './history.js';
import { listUnfinishedTransactions, openJournal } from './journal.js';
import type { RunSummary } from './journal-types.js';
import { acquireLock } from './lock.js';
import { pruneByRetention, tidyWorkArea } from './retention.js';
import { runStages } from './runner.js';
import { STAGES } from './stage-table.js';
import { UndoStack } from './undo-stack.js';
import { NcupdError } from '../errors/ncupd-error.js';
import { requireTransactionHost } from '../hosts/registry.js';

export interface UpdateOptions {
  readonly host: Host;
  /** This machine, when `host` is a remote one (RunContext.orchestrator). */
  readonly orchestrator?: Host;
  readonly config: NcupdConfig;
  readonly instance: InstanceConfig;
  readonly dryRun?: boolean;
  readonly emit?: (event: ProgressEvent) => void;
  readonly signal?: AbortSignal;
  /** Tests: a fake system root for install-type markers. */
  readonly sysroot?: string;
  /** Told the transaction id once the lock is held (the daemon reports it before the run ends). */
  readonly onTxid?: (txid: string) => void;
}

export function newTxid(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** One update of one instance as a transaction, under the instance lock, journaled. */
export async function runUpdate(options: UpdateOptions): Promise<RunSummary> {
  const { config, instance, host } = options;
  const strategy = strategies[instance.strategy];
  if (!strategy) throw new NcupdError('NCUPD_CONFIG_INVALID', { detail: `unknown strategy ${instance.strategy}` });
  requireTransactionHost(instance, host, 'ncupd now', strategy.supportedHosts);
  const txid = newTxid();
  const startedAt = new Date().toISOString();
  const emit = options.emit ?? (() => undefined);
  const lock = await acquireLock(config.stateDir, instance.name, { txid, command: options.dryRun ? 'ncupd now --dry-run' : 'ncupd now' });
  if (lock.tookOverFrom) emit({ type: 'note', message: `took over the stale lock of pid ${lock.tookOverFrom.pid} (transaction ${lock.tookOverFrom.txid})` });
  options.onTxid?.(txid);
  let journal: Awaited<ReturnType<typeof openJournal>> | undefined;
  try {
    // A transaction a crash interrupted must be finished or undone before another starts (issue 5):
    // a fresh run would snapshot a half-updated instance and retention could delete the way back.
    const unfinished = await listUnfinishedTransactions(config.stateDir, instance.name);
    if (unfinished.length > 0) {
      const last = unfinished[unfinished.length - 1]!;
      throw new NcupdError('NCUPD_UNFINISHED_TRANSACTION', { instance: instance.name, stage: 'discover',
        detail: `transaction ${last.txid} did not finish (a crash, a kill, or a rollback that waits for something): its journal is ${last.path}; run \`ncupd recover --instance ${instance.name}\`` });
    }
    journal = await openJournal(config.stateDir, instance.name, txid);
    const ctx: RunContext = {
      txid, host, orchestrator: options.orchestrator, config, instance, strategy, journal, undo: new UndoStack(journal), signal: options.signal ?? new AbortController().signal,
      dryRun: options.dryRun ?? false, secrets: [], emit, state: {}, sysroot: options.sysroot,
    };
    const outcome = await runStages(ctx, STAGES);
    if (outcome.result === 'updated') {
      // Tidying is not part of the transaction: a failure here only warns.
      try {
        await tidyWorkArea(ctx);
        const pruned = await pruneByRetention(ctx);
        if (pruned.length > 0) emit({ type: 'note', message: `retention: removed ${pruned.length} old snapshot(s) and code tree(s)` });
      } catch (error) {
        emit({ type: 'note', message: `retention skipped: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    const data = ctx.state.dataSnapshot;
    const summary: RunSummary = { txid, instance: instance.name, startedAt, endedAt: new Date().toISOString(), ...outcome,
      ...(data ? { dataSnapshot: { method: data.method, ms: data.durationMs, bytes: data.bytes } } : {}) };
    // A rollback that could not finish keeps its transaction open: recovery (`ncupd recover`, the
    // daemon at start) completes it later from the journal, once what was missing is back.
    let ended = false;
    try {
      if (summary.result !== 'rollback-failed') {
        await journal.append({ type: 'end', data: { result: summary.result } });
        ended = true;
      }
      await appendHistory(config.stateDir, summary);
    } catch (error) {
      // The instance already is what the summary says (a full state disk, say, after a rollback):
      // the operator must still read the result. An `end` not written leaves the transaction to recovery.
      const why = error instanceof Error ? error.message : String(error);
      const detail = ended || summary.result === 'rollback-failed' ? `the run history was not written (${why})`
        : `the end of the transaction was not journaled (${why}); once the state directory is writable, \`ncupd recover --instance ${instance.name}\` closes it`;
      emit({ type: 'alert', message: `${instance.name}: ${detail}` });
      return { ...summary, message: summary.message ? `${summary.message}\n${detail}` : detail };
    }
    return summary;
  } finally {
    await journal?.close();
    await lock.release();
  }
}
