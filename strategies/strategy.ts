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
  /** Whether the download stage must fetch and verify the release archive (git fetches a signed tag instead). */
  readonly needsArchive: boolean;
  /** Whether it updates git checkouts (and only them): the other strategies would replace a checkout with release files. */
  readonly forGitCheckouts: boolean;
  /** Online, before the window: prepare everything that does not touch the live instance. */
  prepare(ctx: RunContext): Promise<void>;
  /** Inside the window, after the snapshot: put the new code in place (not `occ upgrade`). */
  apply(ctx: RunContext): Promise<void>;
  /**
   * In the checks stage, after the upgrade: strategy-specific proof that the code in place is what
   * was staged (git: HEAD and submodule commits). Throws a typed error; returns a short detail.
   */
  verifyApplied?(ctx: RunContext): Promise<string>;
  /** After a successful run: what is kept as the code snapshot (for retention), if anything. */
  keptCodeSnapshot(ctx: RunContext): string | undefined;
}
