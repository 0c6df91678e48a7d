// Runs the instances of one ring with at most `parallel` transactions at once. A halt stops new
// starts only: a transaction that already runs is never cut short (cancelling it would roll back
// an instance that may be about to succeed), it ends and is recorded.
import { mapLimited } from './map-limited.js';

export interface LimitedRunOptions {
  /** Most calls of `run` in flight at once (at least 1). */
  readonly parallel: number;
  /** Asked before each start; true stops further starts. */
  readonly shouldStop: () => boolean;
}

/** Calls `run` for each item in order, never more than `parallel` at once; resolves when all started ones ended. */
export async function runLimited<T>(items: readonly T[], run: (item: T) => Promise<void>, options: LimitedRunOptions): Promise<{ started: T[] }> {
  const started: T[] = [];
  // An unexpected error (not a recorded result) also stops further starts; it is thrown once the
  // transactions already running have ended.
  let crashed = false;
  const settled = await mapLimited(items, Math.max(1, options.parallel), async (item) => {
    if (crashed || options.shouldStop()) return;
    started.push(item);
    try {
      await run(item);
    } catch (error) {
      crashed = true;
      throw error;
    }
  });
  const failed = settled.find((e): e is PromiseRejectedResult => e?.status === 'rejected');
  if (failed) throw failed.reason;
  return { started };
}
