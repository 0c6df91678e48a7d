import { NcupdError } from '../../errors/ncupd-error.js';
import { runChecks } from '../../../integrity/checks/run-checks.js';
import { checksFor } from '../../../integrity/checks/registry.js';
import type { CheckPhase } from '../../../integrity/checks/check.js';
import { setMaintenance } from '../occ.js';
import { runReloadHook } from '../../../strategies/reload-hook.js';
import type { RunContext } from '../context.js';
import type { Stage } from '../stage.js';

export function baseUrlOf(ctx: RunContext): string | undefined {
  const url = ctx.instance.url ?? undefined;
  return url?.replace(/\/+$/, '');
}

// Checks over HTTP see what PHP serves, which lags behind config.php and swapped code by up to
// opcache.revalidate_freq seconds when no reload hook resets opcache (contract 9).
const HTTP_CHECK = /^(status-php|login-page|http-probe:)/;

/** Runs a phase's checks; failed HTTP checks are retried (only they) until they pass or finalProbeSeconds ends. */
export async function checkPhase(ctx: RunContext, phase: CheckPhase, expectedVersion: string, maintenanceExpected: boolean) {
  const context = {
    host: ctx.host, instance: ctx.instance, phase, expectedVersion, baseUrl: baseUrlOf(ctx), integrityBaseline: ctx.state.integrityBaseline,
    appsBefore: ctx.state.appsBefore ?? {}, maintenanceExpected, signal: ctx.signal,
  };
  const outcomes = await runChecks(context);
  const deadline = Date.now() + ctx.instance.finalProbeSeconds * 1000;
  for (;;) {
    const retry = checksFor(ctx.instance, phase).filter((c) => HTTP_CHECK.test(c.id) && outcomes.some((o) => o.check === c.id && o.status === 'failed'));
    if (retry.length === 0 || Date.now() >= deadline || ctx.signal.aborted) return outcomes;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const outcome of await runChecks(context, { checks: retry })) outcomes[outcomes.findIndex((o) => o.check === outcome.check)] = outcome;
  }
}

function failures(outcomes: Awaited<ReturnType<typeof checkPhase>>): string {
  return outcomes.filter((o) => o.status === 'failed').map((o) => `  - ${o.check}: ${o.detail}`).join('\n');
}

/** Stage 11: occ status, integrity against the baseline, status.php, enabled apps, operator commands. */
export const checksStage: Stage = {
  name: 'checks', changesInstance: false, inWindow: true,
  timeoutMs: () => 1_800_000,
  async run(ctx) {
    const applied = await ctx.strategy.verifyApplied?.(ctx);
    const outcomes = await checkPhase(ctx, 'window', ctx.state.targetVersion!, true);
    const failed = failures(outcomes);
    if (failed) throw new NcupdError('NCUPD_CHECK_FAILED', { stage: 'checks', instance: ctx.instance.name, detail: `the upgraded instance failed:\n${failed}` });
    return { kind: 'continue', detail: [...(applied ? [`${ctx.strategy.id}: ${applied}`] : []), ...outcomes.map((o) => `${o.check}: ${o.status}`)].join(', ') };
  },
};

/** Stage 12: maintenance off, the commit point. */
export const maintenanceOffStage: Stage = {
  name: 'maintenance-off', changesInstance: true, inWindow: true,
  timeoutMs: () => 120_000,
  async run(ctx) {
    await setMaintenance(ctx.host, ctx.instance, false, { signal: ctx.signal, secrets: ctx.secrets });
    // FPM's opcache still holds config.php with maintenance on until it revalidates: reset it now.
    await runReloadHook(ctx);
    ctx.state.windowEndedAt = Date.now();
    ctx.state.committed = true;
    await ctx.journal.append({ type: 'commit', step: 'maintenance-off' });
  },
};

/**
 * Stage 13: at once after the commit point, status.php and the login page must serve the new
 * version. If not, the instance served nobody, so it cannot have taken writes: maintenance goes
 * back on and the run rolls back (design.md, "After the commit point").
 */
export const finalProbeStage: Stage = {
  name: 'final-probe', changesInstance: false, inWindow: false,
  timeoutMs: () => 600_000,
  async run(ctx) {
    const outcomes = await checkPhase(ctx, 'final', ctx.state.targetVersion!, false);
    const failed = failures(outcomes);
    if (!failed) return { kind: 'continue', detail: outcomes.map((o) => `${o.check}: ${o.status}`).join(', ') };
    await setMaintenance(ctx.host, ctx.instance, true, { secrets: ctx.secrets });
    ctx.state.committed = false;
    throw new NcupdError('NCUPD_FINAL_PROBE_FAILED', { stage: 'final-probe', instance: ctx.instance.name, detail: `after maintenance went off:\n${failed}` });
  },
};
