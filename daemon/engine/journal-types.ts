/**
 * begin/end open and close a transaction; intent/done bracket each change; undo-push records an
 * undo step (as data) before the change it undoes; undo-intent/undo-done/undo-failed bracket its
 * run; facts names the file with what recovery needs; wait records a missing resource; recover
 * marks a recovery attempt; commit is the commit point (maintenance off after passing checks).
 */
export type JournalRecordType = 'begin' | 'intent' | 'done' | 'failed' | 'undo-push' | 'undo-intent' | 'undo-done' | 'undo-failed' | 'facts' | 'wait' | 'recover' | 'commit' | 'end';

/** One line of a transaction's journal: written and made durable before (intent) and after (done) each change. */
export interface JournalRecord {
  /** Position in this transaction's journal, from 1. */
  readonly seq: number;
  /** ISO time. */
  readonly at: string;
  readonly type: JournalRecordType;
  /** Stage name (`apply`, `upgrade`...) or undo step name. */
  readonly step?: string;
  /** Whatever recovery needs to finish or undo the step (paths, snapshot ids); never secrets. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The summary of one finished run (one line of history.jsonl; shown by `ncupd history`). */
/** One undo step of a rollback, timed. */
export interface UndoTiming {
  readonly step: string;
  readonly kind: string;
  readonly ms: number;
  readonly status: 'done' | 'failed';
}

export interface RunSummary {
  readonly txid: string;
  readonly instance: string;
  readonly result: 'up-to-date' | 'held' | 'blocked' | 'updated' | 'rolled-back' | 'rollback-failed' | 'failed';
  readonly from: string;
  readonly to: string | undefined;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly windowMs: number | undefined;
  readonly stages: readonly { readonly name: string; readonly ms: number; readonly status: 'done' | 'failed' | 'skipped' }[];
  /** After a rollback: each undo step, timed, in the order it ran. */
  readonly rollbackSteps?: readonly UndoTiming[];
  readonly failedStage?: string;
  readonly errorCode?: string;
  readonly message?: string;
  /** What could not be undone, named exactly, when result is rollback-failed. */
  readonly notUndone?: readonly string[];
  readonly snapshotDir?: string;
  /** The data snapshot taken in the window and what it cost (issue 9). */
  readonly dataSnapshot?: { readonly method: string; readonly ms: number; readonly bytes: number };
  /** `restore`: `ncupd rollback` put back the snapshot of transaction `restoredFrom` (from = the version replaced). */
  readonly kind?: 'update' | 'restore';
  readonly restoredFrom?: string;
  /** Set when `ncupd recover` (or the daemon at start) finished this transaction: what had interrupted it. */
  readonly recovered?: string;
}

/** Who holds an instance's lock. */
export interface LockHolder {
  readonly pid: number;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22): a reused pid has another. */
  readonly startTime: number;
  /** /proc/sys/kernel/random/boot_id: a lock from before a reboot is stale. */
  readonly bootId: string;
  readonly txid: string;
  readonly command: string;
  readonly since: string;
}
