import type { RunSummary } from '../engine/journal-types.js';
import type { RolloutView } from '../fleet/rollout-view.js';

/** What the daemon knows about one instance, as `/status`, `/metrics`, `/` and `ncupd status` show it. */
export interface InstanceStatus {
  readonly name: string;
  readonly path: string;
  readonly host: string;
  readonly installedVersion: string | undefined;
  /** The newest release the update server offers, if any. */
  readonly available: string | undefined;
  /** Policy decision for the offer: update, hold, blocked, up-to-date (or unknown before the first check). */
  readonly decision: 'update' | 'hold' | 'blocked' | 'up-to-date' | 'unknown';
  readonly reason: string;
  /** When the offered release was first seen (for the soak delay), ISO. */
  readonly firstSeenAt: string | undefined;
  /** When the soak delay ends, ISO. */
  readonly soakEndsAt: string | undefined;
  readonly lastCheckAt: string | undefined;
  readonly lastCheckError: string | undefined;
  readonly lastRun: Pick<RunSummary, 'txid' | 'result' | 'from' | 'to' | 'startedAt' | 'endedAt' | 'windowMs' | 'failedStage' | 'errorCode' | 'message'> | undefined;
  readonly maintenance: { readonly on: boolean; readonly since: string | undefined } | undefined;
  readonly lastSnapshot: { readonly txid: string; readonly ageSeconds: number; readonly sizeBytes: number } | undefined;
  /** Start of the next maintenance window, ISO; whether one is open now. */
  readonly nextWindow: string | undefined;
  readonly windowOpen: boolean;
  readonly paused: boolean;
  /** Runs of this instance that ended rolled back (or rollback-failed), from the history. */
  readonly rollbackCount: number;
  readonly updateCount: number;
  /** The transaction running now, with its current stage. */
  readonly running: { readonly txid: string; readonly stage: string; readonly since: string } | undefined;
  /** Transactions a crash left open (recovery pending or waiting for a resource). */
  readonly openTransactions: number;
  /** The data-snapshot method a run would use (from the last check) and the risk when files would not come back on a rollback. */
  readonly dataSnapshot: { readonly method: string; readonly recommended: string; readonly risk: string | undefined } | undefined;
}

export interface DaemonStatus {
  readonly version: string;
  readonly startedAt: string;
  readonly pid: number;
  readonly configPath: string;
  readonly configLoadedAt: string;
  /** The last config reload that failed (the old config stays in force), if any. */
  readonly configError: string | undefined;
  readonly instances: readonly InstanceStatus[];
  /** The rollout over the rings (docs/fleets.md), when the config has one and it has run. */
  readonly rollout?: RolloutView;
}

/** What the HTTP endpoint and the control socket need from the daemon (the seam between them). */
export interface StatusSource {
  status(): Promise<DaemonStatus>;
  /** Starts a transaction now (outside windows, like `ncupd now`); rejects with NCUPD_LOCKED if one runs. */
  startRun(instance: string): Promise<{ readonly txid: string }>;
  /** Is the daemon healthy (its scheduler ticking, its state directory writable)? */
  health(): Promise<{ readonly ok: boolean; readonly detail: string }>;
}
