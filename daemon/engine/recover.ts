// Recovery (issue 5): finishes or undoes every transaction a crash, a kill or a missing resource
// left open, from its journal alone. It may itself be killed at any point and run again: every
// undo step is idempotent, and each one is journaled as done only after it ran.
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import type { Host } from '../hosts/host.js';
import { strategies } from '../../strategies/registry.js';
import { runReloadHook } from '../../strategies/reload-hook.js';
import type { ProgressEvent, RunContext } from './context.js';
import { faultPoint } from './faults.js';
import { appendHistory } from './history.js';
import { listUnfinishedTransactions, openJournal, type UnfinishedTransaction } from './journal.js';
import type { JournalRecord, RunSummary } from './journal-types.js';
import { acquireLock } from './lock.js';
import { setMaintenance } from './occ.js';
import { readFacts } from './recovery-facts.js';
import { pruneByRetention, tidyWorkArea } from './retention.js';
import { discardPreparation, rollback } from './runner.js';
import { checkPhase } from './stages/commit.js';
import { UndoStack } from './undo-stack.js';
import { stopLeftoverProcesses } from './leftover-processes.js';
import { waitForResource } from './wait-for-resource.js';
import { requireTransactionHost } from '../hosts/registry.js';

export interface RecoverOptions {
  readonly host: Host;
  readonly config: NcupdConfig;
  readonly instance: InstanceConfig;
  readonly emit?: (event: ProgressEvent) => void;
  /** Stop request (SIGTERM): a wait for a missing resource gives up; the transaction stays open. */
  readonly signal?: AbortSignal;
}

/** Where the transaction stood when it was interrupted, read from its records. */
export interface JournalPosition {
  readonly windowStarted: boolean;
  /** The new version passed every check in the window, and no rollback had begun: safe to roll forward. */
  readonly rollForward: boolean;
  readonly committed: boolean;
  /** The stage or undo step that was running, for the operator. */
  readonly interruptedAt: string;
}

export function positionOf(records: readonly JournalRecord[]): JournalPosition {
  const has = (type: JournalRecord['type'], step?: string) => records.some((r) => r.type === type && (step === undefined || r.step === step));
  const rollbackBegun = has('failed') || has('undo-intent') || has('intent', 'maintenance-on-for-rollback');
  const last = [...records].reverse().find((r) => r.type === 'intent' || r.type === 'undo-intent' || r.type === 'failed' || r.type === 'done' || r.type === 'wait');
  const interruptedAt = !last ? 'before the first stage'
    : last.type === 'undo-intent' ? `rollback step "${last.step ?? '?'}"`
      : last.type === 'failed' ? `the rollback after ${last.step ?? '?'} failed`
        : last.type === 'wait' ? `a rollback waiting for the ${last.step ?? 'resource'}`
          : last.type === 'done' ? `after stage ${last.step ?? '?'}` : `stage ${last.step ?? '?'}`;
  return { windowStarted: has('intent', 'maintenance-on'), rollForward: has('done', 'checks') && !rollbackBegun, committed: has('commit'), interruptedAt };
}

/** The new version had passed its checks: maintenance off (if the crash came first), then the final probe. */
async function rollForward(ctx: RunContext, position: JournalPosition): Promise<'updated' | 'rolled-back' | 'rollback-failed'> {
  const target = ctx.state.facts!.targetVersion;
  if (!position.committed) {
    ctx.emit({ type: 'note', message: `the new version ${target} had passed every check before the interruption: finishing the update` });
    await setMaintenance(ctx.host, ctx.instance, false, { secrets: ctx.secrets });
    await runReloadHook(ctx);
    await ctx.journal.append({ type: 'commit', step: 'maintenance-off', data: { by: 'recovery' } });
  }
  await faultPoint('recover:committed');
  const outcomes = await checkPhase(ctx, 'final', target, false);
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length === 0) return 'updated';
  // Same rule as the final probe in a run: an instance that does not serve cannot have taken writes.
  for (const o of failed) ctx.emit({ type: 'note', message: `final probe: ${o.check} failed: ${o.detail}` });
  await ctx.journal.append({ type: 'failed', step: 'final-probe', data: { by: 'recovery' } });
  await setMaintenance(ctx.host, ctx.instance, true, { secrets: ctx.secrets });
  const report = await rollback(ctx);
  return report.notUndone.length === 0 ? 'rolled-back' : 'rollback-failed';
}

async function recoverTransaction(options: RecoverOptions, open: UnfinishedTransaction): Promise<RunSummary> {
  const { host, config, instance } = options;
  const emit = options.emit ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const journal = await openJournal(config.stateDir, instance.name, open.txid);
  try {
    if (journal.repairedTail) emit({ type: 'note', message: `cut a torn last line (${journal.repairedTail.length} bytes) a crash left in ${journal.path}` });
    const records = await journal.records();
    const position = positionOf(records);
    const facts = await readFacts(config.stateDir, instance.name, open.txid);
    const begun = records.find((r) => r.type === 'begin')?.data as { strategy?: string } | undefined;
    const strategy = strategies[begun?.strategy ?? instance.strategy] ?? strategies[instance.strategy]!;
    emit({ type: 'note', message: `recovering transaction ${open.txid} (interrupted at ${position.interruptedAt})` });
    await journal.append({ type: 'recover', data: { pid: process.pid, interruptedAt: position.interruptedAt } });
    const ctx: RunContext = {
      txid: open.txid, host, config, instance, strategy, journal, undo: UndoStack.fromJournal(journal, records),
      signal: options.signal ?? new AbortController().signal, dryRun: false, secrets: [], emit,
      state: {
        facts, fromVersion: facts?.fromVersion, targetVersion: facts?.targetVersion, snapshotDir: facts?.snapshotDir,
        integrityBaseline: facts?.integrityBaseline, appsBefore: facts?.appsBefore, workDir: facts?.workDir, oldRoot: facts?.oldRoot,
        windowStartedAt: position.windowStarted ? Date.now() : undefined,
      },
    };
    // A remote host may still be unreachable (the drop that interrupted the run): wait for it, bounded.
    await waitForResource(ctx, 'host', ctx.signal);
    // A killed ncupd leaves its children running (over SSH, the commands a dropped connection left on
    // the target): an `occ upgrade` must not keep migrating while the database is restored.
    await stopLeftoverProcesses(ctx);
    let result: RunSummary['result'];
    let notUndone: string[] | undefined;
    if (!position.windowStarted) {
      await discardPreparation(ctx);
      result = 'failed';
    } else if (position.rollForward && facts) {
      result = await rollForward(ctx, position);
    } else {
      const report = await rollback(ctx);
      result = report.notUndone.length === 0 ? 'rolled-back' : 'rollback-failed';
      if (result === 'rollback-failed') notUndone = report.notUndone;
    }
    if (result === 'updated') {
      try {
        await tidyWorkArea(ctx);
        await pruneByRetention(ctx);
      } catch (error) {
        emit({ type: 'note', message: `retention skipped: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    const message = result === 'updated' ? `finished after an interruption at ${position.interruptedAt}`
      : result === 'rolled-back' ? `rolled back after an interruption at ${position.interruptedAt}`
        : result === 'failed' ? `interrupted before the maintenance window (${position.interruptedAt}); the staging was removed, the instance was never changed`
          : `recovery could not finish the rollback (interrupted at ${position.interruptedAt}); the transaction stays open`;
    const summary: RunSummary = {
      txid: open.txid, instance: instance.name, result, from: facts?.fromVersion ?? '', to: facts?.targetVersion, startedAt, endedAt: new Date().toISOString(),
      windowMs: undefined, stages: [], message, recovered: position.interruptedAt, notUndone,
    };
    if (result !== 'rollback-failed') await journal.append({ type: 'end', data: { result, recovered: true } });
    await appendHistory(config.stateDir, summary);
    return summary;
  } finally {
    await journal.close();
  }
}

/**
 * Finishes or undoes every open transaction of one instance, oldest first, under the instance lock
 * (a dead holder's lock is taken over and said so). Returns one summary per transaction.
 */
export async function recoverInstance(options: RecoverOptions): Promise<RunSummary[]> {
  const { config, instance } = options;
  const emit = options.emit ?? (() => undefined);
  const open = await listUnfinishedTransactions(config.stateDir, instance.name);
  if (open.length === 0) return [];
  // The journal is this machine's; the instance is reached through its host, reconnecting over SSH (issue 6).
  requireTransactionHost(instance, options.host, 'ncupd recover', ['local', 'ssh']);
  const lock = await acquireLock(config.stateDir, instance.name, { txid: open[0]!.txid, command: 'ncupd recover' });
  if (lock.tookOverFrom) emit({ type: 'note', message: `took over the stale lock of pid ${lock.tookOverFrom.pid} (transaction ${lock.tookOverFrom.txid}): ${lock.staleReason ?? 'its process is gone'}` });
  try {
    const summaries: RunSummary[] = [];
    // Listed again under the lock: a transaction that finished meanwhile is not touched.
    for (const tx of await listUnfinishedTransactions(config.stateDir, instance.name)) {
      const summary = await recoverTransaction(options, tx);
      summaries.push(summary);
      if (summary.result === 'rollback-failed') break;
    }
    return summaries;
  } finally {
    await lock.release();
  }
}
