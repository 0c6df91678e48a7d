import type { RunContext } from './context.js';

export type StageName =
  | 'discover' | 'download' | 'stage' | 'preflight' | 'maintenance-on' | 'wait-cron' | 'snapshot'
  | 'apply' | 'upgrade' | 'checks' | 'maintenance-off' | 'final-probe' | 'record' | 'restore';

/** What a stage may tell the runner instead of "done". */
export type StageOutcome =
  | { readonly kind: 'continue'; readonly detail?: string }
  /** The run ends here without change (up to date, held, blocked, dry run). */
  | { readonly kind: 'stop'; readonly result: 'up-to-date' | 'held' | 'blocked' | 'dry-run'; readonly detail: string };

/** A row of the stage table (design.md): the runner times, journals and bounds every stage alike. */
export interface Stage {
  readonly name: StageName;
  /** Whether it changes the instance (then it is journaled intent/done and its undo is pushed first). */
  readonly changesInstance: boolean;
  /** Inside the maintenance window. */
  readonly inWindow: boolean;
  readonly timeoutMs: (ctx: RunContext) => number;
  run(ctx: RunContext): Promise<StageOutcome | void>;
}
