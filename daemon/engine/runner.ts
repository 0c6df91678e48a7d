import { isNcupdError, NcupdError } from '../errors/ncupd-error.js';
import type { RunContext } from './context.js';
import type { RunSummary, UndoTiming } from './journal-types.js';
import type { Stage, StageOutcome } from './stage.js';
import { DRY_RUN_STOP } from './stage-table.js';
import { checkPhase } from './stages/commit.js';
import { setMaintenance } from './occ.js';
import { faultPoint } from './faults.js';
import type { PendingUndo } from './undo-stack.js';
import { undoActions } from './undo-registry.js';
import { waitForResource } from './wait-for-resource.js';
import { diskFullPath } from './disk-full.js';
import { isConnectionLoss } from './connection-loss.js';
import { stopLeftoverProcesses } from './leftover-processes.js';

/** Every failure leaves the runner as a coded error; a full disk is named as such, whatever tool hit it. */
function asCodedError(error: unknown, stage: string, instance: string): NcupdError {
  const full = diskFullPath(error);
  if (full !== undefined) {
    return new NcupdError('NCUPD_DISK_FULL', { stage, instance, cause: error,
      detail: `no space left on device${full ? ` (${full})` : ''} during ${stage}: ${error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error)}` });
  }
  if (isNcupdError(error)) return error.within({ stage, instance });
  return new NcupdError('NCUPD_APPLY_FAILED', { stage, instance, detail: error instanceof Error ? error.message : String(error), cause: error });
}

type StageRecord = RunSummary['stages'][number];

/** Runs one stage under its own deadline; the deadline aborts the stage's commands and names the stage. */
async function runBounded(stage: Stage, ctx: RunContext): Promise<StageOutcome | void> {
  const ms = stage.timeoutMs(ctx);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), ms);
  try {
    return await stage.run({ ...ctx, signal: AbortSignal.any([ctx.signal, deadline.signal]) });
  } catch (error) {
    if (deadline.signal.aborted && !ctx.signal.aborted) {
      throw new NcupdError('NCUPD_STAGE_TIMEOUT', { stage: stage.name, instance: ctx.instance.name, detail: `stage ${stage.name} did not finish within ${Math.round(ms / 1000)} s`, cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export interface RollbackReport {
  readonly notUndone: string[];
  readonly restoredHealthy: boolean;
  /** Each undo step and the restored-instance check, timed (the history and the benchmark show where a rollback spends). */
  readonly steps: UndoTiming[];
}

/** Journals without ever stopping a rollback: a full disk must not keep the instance half-updated. */
async function journalBestEffort(ctx: RunContext, record: Parameters<RunContext['journal']['append']>[0]): Promise<void> {
  try {
    await ctx.journal.append(record);
  } catch (error) {
    ctx.emit({ type: 'note', message: `journal not written (${error instanceof Error ? error.message : String(error)}); rolling back anyway` });
  }
}

const RECONNECT_ATTEMPTS = 5;

/**
 * An undo step whose connection to the instance's host dropped is run again once the host answers
 * (waiting up to `rollbackWaitSeconds`): undo steps are idempotent, so a second run is harmless.
 * Bounded, so a connection that keeps dropping ends in an open transaction for recovery, not a loop.
 */
async function retryAfterReconnect(ctx: RunContext, what: string, run: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      if (!isConnectionLoss(error) || attempt >= RECONNECT_ATTEMPTS) throw error;
      ctx.emit({ type: 'note', message: `lost the connection to ${ctx.host.id} during "${what}"; reconnecting to run it again` });
      await waitForResource(ctx, 'host', ctx.signal);
    }
  }
}

/**
 * After a lost connection the failed command's outcome is unknown and it may still run on the
 * target (sshd stops a session's commands on hangup only when they had a terminal): reconnect,
 * then stop what the run started (`occ upgrade`, the updater) before anything is restored under it.
 */
async function reconnectAndStopLeftovers(ctx: RunContext): Promise<void> {
  ctx.emit({ type: 'note', message: `the connection to ${ctx.host.id} was lost in the window; reconnecting to roll back` });
  await waitForResource(ctx, 'host', ctx.signal);
  await retryAfterReconnect(ctx, 'stop what the run left running', () => stopLeftoverProcesses(ctx));
}

/** Runs one undo step: journaled before and after, waiting first for what it needs (the database server). */
async function runUndoStep(ctx: RunContext, step: PendingUndo, timings?: UndoTiming[]): Promise<void> {
  const action = undoActions[step.kind];
  const started = Date.now();
  const timed = (status: UndoTiming['status']) => timings?.push({ step: step.name, kind: step.kind, ms: Date.now() - started, status });
  ctx.emit({ type: 'rollback', step: step.name, status: 'start' });
  await journalBestEffort(ctx, { type: 'undo-intent', step: step.name, data: { id: step.id } });
  try {
    if (!action) throw new Error(`unknown undo step kind "${step.kind}" (a journal from another ncupd version?)`);
    await faultPoint(`undo:${step.kind}:before`);
    await retryAfterReconnect(ctx, step.name, async () => {
      for (const resource of action.needs ?? []) await waitForResource(ctx, resource, ctx.signal);
      await action.run(ctx, step.data ?? {});
    });
    await faultPoint(`undo:${step.kind}:after`);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    timed('failed');
    ctx.emit({ type: 'rollback', step: step.name, status: 'failed', detail });
    await journalBestEffort(ctx, { type: 'undo-failed', step: step.name, data: { id: step.id, error: detail } });
    throw error;
  }
  timed('done');
  ctx.emit({ type: 'rollback', step: step.name, status: 'done' });
  await journalBestEffort(ctx, { type: 'undo-done', step: step.name, data: { id: step.id } });
}

/** Whether the steps pushed before this one depend on it (the code swaps). */
function isBarrier(step: PendingUndo): boolean {
  return undoActions[step.kind]?.barrier === true;
}

/** The installed version the run started from (recovery knows it from the facts). */
export function fromVersionOf(ctx: RunContext): string | undefined {
  return ctx.state.discovered?.installedVersion ?? ctx.state.fromVersion;
}

/**
 * Undo last-in-first-out, every step attempted; then check the restored instance; then the `last`
 * steps (maintenance off). The same function finishes a crashed transaction in recovery, with the
 * stack rebuilt from the journal: every step is idempotent, so one that ran before the crash runs again harmlessly.
 */
export async function rollback(ctx: RunContext, options: { connectionLost?: boolean } = {}): Promise<RollbackReport> {
  await faultPoint('rollback:start');
  if (options.connectionLost && ctx.state.windowStartedAt !== undefined) {
    try {
      await reconnectAndStopLeftovers(ctx);
    } catch (error) {
      // Nothing can be undone without the host: the transaction stays open for `ncupd recover` or the daemon.
      const why = `${ctx.host.id} cannot be reached to roll back (${error instanceof Error ? error.message : String(error)}); the transaction stays open for \`ncupd recover\``;
      ctx.emit({ type: 'alert', message: `${ctx.instance.name}: rollback not started, maintenance mode is on: ${why}` });
      return { notUndone: [why], restoredHealthy: false, steps: [] };
    }
  }
  // Nobody may write while the instance is put back: after the commit point (or a failed
  // maintenance-off) maintenance may be off; the config restore alone would not reach PHP's opcache.
  if (ctx.state.windowStartedAt !== undefined) {
    // A crash between the maintenance-on intent and its undo push leaves no step to turn it off again.
    if (!ctx.undo.has('maintenance-off')) await ctx.undo.push({ kind: 'maintenance-off', name: 'turn maintenance mode off', last: true }, { bestEffort: true });
    await journalBestEffort(ctx, { type: 'intent', step: 'maintenance-on-for-rollback' });
    await setMaintenance(ctx.host, ctx.instance, true, { secrets: ctx.secrets }).catch((error: unknown) =>
      ctx.emit({ type: 'note', message: `could not turn maintenance on before rolling back: ${error instanceof Error ? error.message : String(error)}` }));
  }
  const steps: UndoTiming[] = [];
  const failed = await ctx.undo.unwind((step) => runUndoStep(ctx, step, steps), false, isBarrier);
  let restoredHealthy = true;
  const oldVersion = fromVersionOf(ctx);
  if (ctx.state.windowStartedAt !== undefined && oldVersion && failed.length === 0) {
    const checkStarted = Date.now();
    const outcomes = await checkPhase({ ...ctx, signal: new AbortController().signal }, 'restored', oldVersion, true);
    const bad = outcomes.filter((o) => o.status === 'failed');
    restoredHealthy = bad.length === 0;
    steps.push({ step: 'check the restored instance', kind: 'checks', ms: Date.now() - checkStarted, status: restoredHealthy ? 'done' : 'failed' });
    for (const o of bad) ctx.emit({ type: 'note', message: `restored instance: ${o.check} failed: ${o.detail}` });
  }
  // Maintenance goes off only when every undo step worked and the restored instance is healthy:
  // serving a half-restored instance could lose data. Otherwise say so loudly.
  const safe = restoredHealthy && failed.length === 0;
  const failedLast = safe ? await ctx.undo.unwind((step) => runUndoStep(ctx, step, steps), true, isBarrier) : [];
  const notUndone = [...failed, ...failedLast].map((f) => `${f.step}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
  if (!restoredHealthy) notUndone.push('maintenance mode left ON: the restored instance did not pass its checks');
  else if (failed.length > 0) notUndone.push('maintenance mode left ON: not every step could be undone');
  if (notUndone.length > 0) ctx.emit({ type: 'alert', message: `${ctx.instance.name}: rollback incomplete, maintenance mode is on: ${notUndone.join('; ')}` });
  return { notUndone, restoredHealthy, steps };
}

/** Before the window only ncupd's own staging exists: a run that stops there removes it. */
export async function discardPreparation(ctx: RunContext): Promise<void> {
  const failed = await ctx.undo.unwind((step) => runUndoStep(ctx, step), false, isBarrier);
  for (const f of failed) ctx.emit({ type: 'note', message: `could not remove ${f.step}: ${f.error instanceof Error ? f.error.message : String(f.error)}` });
}

/** The generic runner: times, bounds and journals every stage; on failure rolls back. */
export async function runStages(ctx: RunContext, stages: readonly Stage[]): Promise<Omit<RunSummary, 'startedAt' | 'endedAt' | 'txid' | 'instance'>> {
  const records: StageRecord[] = [];
  const from = () => ctx.state.discovered?.installedVersion ?? '';
  const to = () => ctx.state.check?.verdict.target?.version;
  await ctx.journal.append({ type: 'begin', data: { instance: ctx.instance.name, strategy: ctx.strategy.id, dryRun: ctx.dryRun } });
  for (const stage of stages) {
    if (ctx.dryRun && stage.name === DRY_RUN_STOP) {
      await discardPreparation(ctx);
      return { result: 'held', from: from(), to: to(), windowMs: undefined, stages: records, message: 'dry run: stopped before the maintenance window' };
    }
    const started = Date.now();
    ctx.emit({ type: 'stage-start', stage: stage.name });
    try {
      if (stage.changesInstance) await ctx.journal.append({ type: 'intent', step: stage.name });
      await faultPoint(`stage:${stage.name}:before`, ctx.signal);
      const outcome = await runBounded(stage, ctx);
      // Every stage that passed is journaled: recovery rolls forward only past a recorded `done checks`.
      await ctx.journal.append({ type: 'done', step: stage.name });
      await faultPoint(`stage:${stage.name}:after`, ctx.signal);
      const ms = Date.now() - started;
      records.push({ name: stage.name, ms, status: 'done' });
      ctx.emit({ type: 'stage-end', stage: stage.name, status: 'done', ms, detail: outcome?.kind === 'continue' ? outcome.detail : outcome?.detail });
      if (outcome?.kind === 'stop') {
        await discardPreparation(ctx);
        const result = outcome.result === 'dry-run' ? 'held' : outcome.result;
        return { result, from: from(), to: to(), windowMs: undefined, stages: records, message: outcome.detail };
      }
    } catch (error) {
      const ms = Date.now() - started;
      records.push({ name: stage.name, ms, status: 'failed' });
      const coded = asCodedError(error, stage.name, ctx.instance.name);
      ctx.emit({ type: 'stage-end', stage: stage.name, status: 'failed', ms, detail: `${coded.code}: ${coded.message}` });
      await journalBestEffort(ctx, { type: 'failed', step: stage.name, data: { code: coded.code, message: coded.message } });
      const changed = ctx.state.windowStartedAt !== undefined;
      const report = await rollback(ctx, { connectionLost: isConnectionLoss(error) });
      const windowMs = changed ? Date.now() - ctx.state.windowStartedAt! : undefined;
      const base = { from: from(), to: to(), windowMs, stages: records, failedStage: stage.name, errorCode: coded.code, message: coded.message, rollbackSteps: report.steps };
      if (!changed && report.notUndone.length === 0) return { ...base, result: 'failed' };
      return report.notUndone.length === 0 ? { ...base, result: 'rolled-back' } : { ...base, result: 'rollback-failed', notUndone: report.notUndone };
    }
  }
  const windowMs = ctx.state.windowStartedAt !== undefined && ctx.state.windowEndedAt !== undefined ? ctx.state.windowEndedAt - ctx.state.windowStartedAt : undefined;
  return { result: 'updated', from: from(), to: to(), windowMs, stages: records, snapshotDir: ctx.state.snapshotDir };
}
