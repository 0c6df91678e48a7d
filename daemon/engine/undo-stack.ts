/** One step that puts back what a stage changed. */
export interface UndoStep {
  readonly name: string;
  /** Runs after the restored instance was checked, at the very end (maintenance off). */
  readonly last?: boolean;
  /** What recovery needs to redo this undo after a crash (paths, ids); never secrets. */
  readonly data?: Readonly<Record<string, unknown>>;
  run(): Promise<void>;
}

export interface UndoFailure {
  readonly step: string;
  readonly error: unknown;
}

/**
 * Rollback as a stack (style.md, point 3): a stage pushes its undo before it acts; rollback runs
 * last-in-first-out and attempts every step even when one fails, reporting exactly which failed.
 */
export class UndoStack {
  readonly #steps: UndoStep[] = [];

  push(step: UndoStep): void {
    this.#steps.push(step);
  }

  get size(): number {
    return this.#steps.length;
  }

  /** Removes the steps pushed after `mark` (a stage that finished without needing them). */
  names(): string[] {
    return this.#steps.map((s) => s.name);
  }

  /** Pops every step not marked `last`, newest first; then the caller checks, then runs `unwindLast`. */
  async unwind(before: (step: UndoStep) => Promise<void>, after: (step: UndoStep, error?: unknown) => Promise<void>, onlyLast = false): Promise<UndoFailure[]> {
    const failures: UndoFailure[] = [];
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      const step = this.#steps[i]!;
      if (Boolean(step.last) !== onlyLast) continue;
      this.#steps.splice(i, 1);
      await before(step).catch(() => undefined);
      try {
        await step.run();
      } catch (error) {
        failures.push({ step: step.name, error });
        await after(step, error).catch(() => undefined);
        continue;
      }
      await after(step).catch(() => undefined);
    }
    return failures;
  }
}
