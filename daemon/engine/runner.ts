import { isNcupdError, NcupdError } from '../errors/ncupd-error.js';
import type { RunContext } from './context.js';
import type { RunSummary } from './journal-types.js';
import type { Stage, StageOutcome } from './stage.js';
import { DRY_RUN_STOP } from './stage-table.js';
import { checkPhase } from './stages/commit.js';
import { setMaintenance } from './occ.js';

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
}

/** Journals without ever stopping a rollback: a full disk must not keep the instance half-updated. */
async function journalBestEffort(ctx: RunContext, record: Parameters<RunContext['journal']['append']>[0]): Promise<void> {
  try {
    await ctx.journal.append(record);
  } catch (error) {
    ctx.emit({ type: 'note', message: `journal not written (${error instanceof Error ? error.message : String(error)}); rolling back anyway` });
  }
}

/** Undo last-in-first-out, every step attempted; then check the restored instance; then the `last` steps (maintenance off). */
export async function rollback(ctx: RunContext): Promise<RollbackReport> {
  const before = async (step: { name: string; data?: Readonly<Record<string, unknown>> }) => {
    ctx.emit({ type: 'rollback', step: step.name, status: 'start' });
    await journalBestEffort(ctx, { type: 'undo-intent', step: step.name, data: step.data });
  };
  const after = async (step: { name: string }, error?: unknown) => {
    const detail = error === undefined ? undefined : error instanceof Error ? error.message : String(error);
    ctx.emit({ type: 'rollback', step: step.name, status: error === undefined ? 'done' : 'failed', detail });
    await journalBestEffort(ctx, { type: error === undefined ? 'undo-done' : 'undo-failed', step: step.name, data: detail ? { error: detail } : undefined });
  };
  // Nobody may write while the instance is put back: after the commit point (or a failed
  // maintenance-off) maintenance may be off; the config restore alone would not reach PHP's opcache.
  if (ctx.state.windowStartedAt !== undefined) {
    await journalBestEffort(ctx, { type: 'intent', step: 'maintenance-on-for-rollback' });
    await setMaintenance(ctx.host, ctx.instance, true, { secrets: ctx.secrets }).catch((error: unknown) =>
      ctx.emit({ type: 'note', message: `could not turn maintenance on before rolling back: ${error instanceof Error ? error.message : String(error)}` }));
  }
  const failed = await ctx.undo.unwind(before, after);
  let restoredHealthy = true;
  const oldVersion = ctx.state.discovered?.installedVersion;
  if (ctx.state.windowStartedAt !== undefined && oldVersion) {
    const outcomes = await checkPhase({ ...ctx, signal: new AbortController().signal }, 'restored', oldVersion, true);
    const bad = outcomes.filter((o) => o.status === 'failed');
    restoredHealthy = bad.length === 0;
    for (const o of bad) ctx.emit({ type: 'note', message: `restored instance: ${o.check} failed: ${o.detail}` });
  }
  // Maintenance goes off only when every undo step worked and the restored instance is healthy:
  // serving a half-restored instance could lose data. Otherwise say so loudly.
  const safe = restoredHealthy && failed.length === 0;
  const failedLast = safe ? await ctx.undo.unwind(before, after, true) : [];
  const notUndone = [...failed, ...failedLast].map((f) => `${f.step}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
  if (!restoredHealthy) notUndone.push('maintenance mode left ON: the restored instance did not pass its checks');
  else if (failed.length > 0) notUndone.push('maintenance mode left ON: not every step could be undone');
  return { notUndone, restoredHealthy };
}

/** Before the window only ncupd's own staging exists: a run that stops there removes it. */
async function discardPreparation(ctx: RunContext): Promise<void> {
  const failed = await ctx.undo.unwind(async () => undefined, async () => undefined);
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
      const outcome = await runBounded(stage, ctx);
      if (stage.changesInstance) await ctx.journal.append({ type: 'done', step: stage.name });
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
      const coded = isNcupdError(error) ? error.within({ stage: stage.name, instance: ctx.instance.name }) : new NcupdError('NCUPD_APPLY_FAILED', { stage: stage.name, instance: ctx.instance.name, detail: error instanceof Error ? error.message : String(error), cause: error });
      ctx.emit({ type: 'stage-end', stage: stage.name, status: 'failed', ms, detail: `${coded.code}: ${coded.message}` });
      await journalBestEffort(ctx, { type: 'failed', step: stage.name, data: { code: coded.code, message: coded.message } });
      const changed = ctx.state.windowStartedAt !== undefined;
      const report = await rollback(ctx);
      const windowMs = changed ? Date.now() - ctx.state.windowStartedAt! : undefined;
      const base = { from: from(), to: to(), windowMs, stages: records, failedStage: stage.name, errorCode: coded.code, message: coded.message };
      if (!changed && report.notUndone.length === 0) return { ...base, result: 'failed' };
      return report.notUndone.length === 0 ? { ...base, result: 'rolled-back' } : { ...base, result: 'rollback-failed', notUndone: report.notUndone };
    }
  }
  const windowMs = ctx.state.windowStartedAt !== undefined && ctx.state.windowEndedAt !== undefined ? ctx.state.windowEndedAt - ctx.state.windowStartedAt : undefined;
  return { result: 'updated', from: from(), to: to(), windowMs, stages: records, snapshotDir: ctx.state.snapshotDir };
}
