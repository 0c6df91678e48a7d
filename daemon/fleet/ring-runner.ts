// Runs the instances of one ring with at most `parallel` transactions at once. A halt stops new
// starts only: a transaction that already runs is never cut short (cancelling it would roll back
// an instance that may be about to succeed), it ends and is recorded.

export interface LimitedRunOptions {
  /** Most calls of `run` in flight at once (at least 1). */
  readonly parallel: number;
  /** Asked before each start; true stops further starts. */
  readonly shouldStop: () => boolean;
}

/** Calls `run` for each item in order, never more than `parallel` at once; resolves when all started ones ended. */
export async function runLimited<T>(items: readonly T[], run: (item: T) => Promise<void>, options: LimitedRunOptions): Promise<{ started: T[] }> {
  const started: T[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !options.shouldStop()) {
      const item = items[next++]!;
      started.push(item);
      await run(item);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.parallel, items.length)) }, () => worker());
  // allSettled: one worker's error must not return while the others' transactions still run.
  const ended = await Promise.allSettled(workers);
  const failed = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failed) throw failed.reason;
  return { started };
}
