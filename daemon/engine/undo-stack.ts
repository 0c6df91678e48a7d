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
 * last-in-first-out and attempts every step even when one fails, reporting exactly which failed.
 * push() is durable before it resolves: an action whose undo is not journaled never starts.
 */
export class UndoStack {
  readonly #steps: PendingUndo[];
  #next: number;

  constructor(private readonly journal: Pick<Journal, 'append'>, restored: readonly PendingUndo[] = []) {
    this.#steps = [...restored];
    this.#next = restored.reduce((n, s) => Math.max(n, Number(s.id.slice(1)) || 0), 0) + 1;
  }

  async push(step: UndoStep): Promise<void> {
    const pending: PendingUndo = { ...step, id: `u${this.#next++}` };
    await this.journal.append({ type: 'undo-push', step: pending.name, data: { id: pending.id, kind: pending.kind, last: pending.last === true, args: pending.data ?? {} } });
    this.#steps.push(pending);
  }

  get size(): number {
    return this.#steps.length;
  }

  names(): string[] {
    return this.#steps.map((s) => s.name);
  }

  /** Runs every step of one phase (`last` or not), newest first; a failing step is reported, the rest still run. */
  async unwind(run: (step: PendingUndo) => Promise<void>, onlyLast = false): Promise<UndoFailure[]> {
    const failures: UndoFailure[] = [];
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const step = this.#steps[i]!;
      if (Boolean(step.last) !== onlyLast) continue;
      this.#steps.splice(i, 1);
      try {
        await run(step);
      } catch (error) {
        failures.push({ step: step.name, error });
      }
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
