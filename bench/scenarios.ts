import type { RunSummary, UndoTiming } from '../daemon/engine/journal-types.js';
import { parseJson } from '../test/helpers/run-ncupd.js';
import type { Bed } from '../test/daemon/engine/transaction-bed.js';
import { diskUsageMb, runNcupdMeasured } from './measure.js';

// What the benchmark reads off one `ncupd now --json`: the run summary's own stage timings, so
// the figures are the ones every operator sees in `ncupd history`, not a second stopwatch.

const WINDOW_PARTS = ['maintenance-on', 'wait-cron', 'snapshot', 'apply', 'upgrade', 'checks', 'maintenance-off'] as const;
const CODE_UNDO = new Set(['swap-back', 'move-back', 'remove-release-config', 'restore-updater-code']);

export interface UpdateRun {
  readonly summary: RunSummary;
  readonly peakRssMb: number;
  readonly totalS: number;
  readonly windowS: number;
  /** Seconds per window stage, in order. */
  readonly parts: Readonly<Record<(typeof WINDOW_PARTS)[number], number>>;
  /** Verify (download stage, archive from ncupd's cache) + unpack and carry-over preparation (stage). */
  readonly prepareS: number;
  readonly snapshotMb: number;
}

export interface RollbackRun {
  readonly summary: RunSummary;
  readonly peakRssMb: number;
  readonly rollbackS: number;
  readonly codeS: number;
  readonly databaseS: number;
  readonly steps: readonly UndoTiming[];
}

const seconds = (ms: number | undefined) => (ms ?? 0) / 1000;

function stageS(summary: RunSummary, name: string): number {
  return seconds(summary.stages.find((s) => s.name === name)?.ms);
}

async function nowJson(bed: Bed, env: Record<string, string>) {
  const run = await runNcupdMeasured(['now', '--json', '--config', bed.config], env);
  const summary = parseJson<RunSummary>(run.result.stdout);
  return { run, summary };
}

/** A real update; fails loudly when ncupd did not update. */
export async function measureUpdate(bed: Bed): Promise<UpdateRun> {
  const { run, summary } = await nowJson(bed, {});
  if (summary.result !== 'updated') throw new Error(`expected an update, got ${summary.result}: ${summary.message ?? ''}\n${run.result.stderr}`);
  const parts = Object.fromEntries(WINDOW_PARTS.map((name) => [name, stageS(summary, name)])) as UpdateRun['parts'];
  return {
    summary, peakRssMb: run.peakRssMb, totalS: run.seconds, windowS: seconds(summary.windowMs), parts,
    prepareS: stageS(summary, 'download') + stageS(summary, 'stage'),
    snapshotMb: summary.snapshotDir ? await diskUsageMb(summary.snapshotDir) : 0,
  };
}

/**
 * A rollback forced after `occ upgrade` succeeded (a test fault point, the same the fault matrix
 * uses): the database really was migrated, so code, config and database all go back.
 */
export async function measureForcedRollback(bed: Bed): Promise<RollbackRun> {
  const { run, summary } = await nowJson(bed, { NCUPD_FAULT: 'stage:upgrade:after=throw' });
  // Rolled back from where the fault was armed, else the split below would measure another rollback.
  if (summary.result !== 'rolled-back' || summary.failedStage !== 'upgrade') {
    throw new Error(`expected a rollback forced after occ upgrade, got ${summary.result} at ${summary.failedStage ?? '-'}: ${summary.message ?? ''}\n${run.result.stderr}`);
  }
  const steps = summary.rollbackSteps ?? [];
  const sum = (pick: (s: UndoTiming) => boolean) => steps.filter(pick).reduce((n, s) => n + s.ms / 1000, 0);
  return {
    summary, peakRssMb: run.peakRssMb, steps,
    rollbackS: sum(() => true),
    codeS: sum((s) => CODE_UNDO.has(s.kind)),
    databaseS: sum((s) => s.kind === 'restore-database'),
  };
}
