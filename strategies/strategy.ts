import type { RunContext } from '../daemon/engine/context.js';

/**
 * The Strategy seam (shared/design.md): how new code is put in place. A strategy pushes its own
 * undo steps (on ctx.undo) before each change it makes, so rollback never needs to know which
 * strategy ran. The core reads capabilities as data and never branches on the id.
 */
export interface UpdateStrategy {
  readonly id: 'archive' | 'updater' | 'git';
  readonly supportedHosts: readonly ('local' | 'ssh')[];
  /** Programs the strategy runs on the instance host. */
  readonly needsTools: readonly string[];
  /** Online, before the window: prepare everything that does not touch the live instance. */
  prepare(ctx: RunContext): Promise<void>;
  /** Inside the window, after the snapshot: put the new code in place (not `occ upgrade`). */
  apply(ctx: RunContext): Promise<void>;
  /** After a successful run: what is kept as the code snapshot (for retention), if anything. */
  keptCodeSnapshot(ctx: RunContext): string | undefined;
}
