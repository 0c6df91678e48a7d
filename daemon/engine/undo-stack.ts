import type { Journal } from './journal.js';
import type { JournalRecord } from './journal-types.js';

/**
 * One step that puts back what a stage changed, as data: `kind` names an action in the undo
 * registry, `data` holds its arguments (paths, ids; never secrets). Because it is data, the step is
 * journaled when pushed, and recovery after a crash rebuilds and runs exactly the same step.
 */
export interface UndoStep {
  readonly kind: string;
  /** What the operator reads in progress and in "not undone" lists. */
  readonly name: string;
  /** Runs after the restored instance was checked, at the very end (maintenance off). */
  readonly last?: boolean;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface PendingUndo extends UndoStep {
  /** Unique within the transaction: `undo-done` records name it, so recovery skips what was undone. */
  readonly id: string;
}

export interface UndoFailure {
  readonly step: string;
  readonly error: unknown;
}

/**
 * Rollback as a stack (style.md, point 3): a stage pushes its undo before it acts; rollback runs
 * last-in-first-out and stops at the first failure, reporting exactly which step failed and which wait.
 * push() is durable before it resolves: an action whose undo is not journaled never starts.
 */
export class UndoStack {
  readonly #steps: PendingUndo[];
  #next: number;

  /** `usedIds`: every id the transaction ever pushed (undone ones too), so a new push never reuses one. */
  constructor(private readonly journal: Pick<Journal, 'append'>, restored: readonly PendingUndo[] = [], usedIds: readonly string[] = []) {
    this.#steps = [...restored];
    this.#next = [...restored.map((s) => s.id), ...usedIds].reduce((n, id) => Math.max(n, Number(id.slice(1)) || 0), 0) + 1;
  }

  /** The stack a crashed transaction still owes, rebuilt from its journal. */
  static fromJournal(journal: Pick<Journal, 'append'>, records: readonly JournalRecord[]): UndoStack {
    const used = records.filter((r) => r.type === 'undo-push' && typeof r.data?.id === 'string').map((r) => r.data!.id as string);
    return new UndoStack(journal, pendingUndoFrom(records), used);
  }

  /** `bestEffort`: during a rollback the step is needed even when the journal cannot be written. */
  async push(step: UndoStep, options: { bestEffort?: boolean } = {}): Promise<void> {
    const pending: PendingUndo = { ...step, id: `u${this.#next++}` };
    try {
      await this.journal.append({ type: 'undo-push', step: pending.name, data: { id: pending.id, kind: pending.kind, last: pending.last === true, args: pending.data ?? {} } });
    } catch (error) {
      if (!options.bestEffort) throw error;
    }
    this.#steps.push(pending);
  }

  get size(): number {
    return this.#steps.length;
  }

  names(): string[] {
    return this.#steps.map((s) => s.name);
  }

  has(kind: string): boolean {
    return this.#steps.some((s) => s.kind === kind);
  }

  /**
   * Runs the steps of one phase (`last` or not), newest first. A failed step stays on the stack (and
   * in the journal) for the next attempt. After a failed *barrier* step nothing below it runs: the
   * steps below rely on it (a move back needs the swap back before it, or it would act on the wrong
   * tree); they are reported as waiting. Other failures (a config restore) do not stop independent
   * steps below them (the database restore). By default every step is a barrier.
   */
  async unwind(run: (step: PendingUndo) => Promise<void>, onlyLast = false, isBarrier: (step: PendingUndo) => boolean = () => true): Promise<UndoFailure[]> {
    const failures: UndoFailure[] = [];
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const step = this.#steps[i]!;
      if (Boolean(step.last) !== onlyLast) continue;
      try {
        await run(step);
      } catch (error) {
        failures.push({ step: step.name, error });
        if (!isBarrier(step)) continue;
        const waiting = this.#steps.slice(0, i).filter((s) => Boolean(s.last) === onlyLast).reverse();
        return [...failures, ...waiting.map((s) => ({ step: s.name, error: new Error(`not attempted: it waits for "${step.name}"`) }))];
      }
      this.#steps.splice(i, 1);
    }
    return failures;
  }
}

/** The steps a crashed transaction still owes: pushed, and not recorded as undone. */
export function pendingUndoFrom(records: readonly JournalRecord[]): PendingUndo[] {
  const undone = new Set(records.filter((r) => r.type === 'undo-done').map((r) => r.data?.id));
  const pending: PendingUndo[] = [];
  for (const r of records) {
    if (r.type !== 'undo-push' || !r.data) continue;
    const { id, kind, last, args } = r.data as { id: string; kind: string; last: boolean; args: Record<string, unknown> };
    if (!undone.has(id)) pending.push({ id, kind, last, name: r.step ?? kind, data: args });
  }
  return pending;
}
