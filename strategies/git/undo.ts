import { dirname } from 'node:path';
import { arg, type UndoAction } from '../../daemon/engine/undo-action.js';
import { layoutFor } from './layout.js';
import { pruneWorktrees, repairWorktrees } from './worktrees.js';

// The git strategy's own undo steps; the trees themselves go back with the archive strategy's
// swap-back, move-back and remove-staged-tree. Each is safe to run twice.

function layoutOf(ctx: Parameters<UndoAction['run']>[0], gitDir: string) {
  const layout = layoutFor(ctx.host, ctx.instance.path, ctx.instance.name);
  // The journal names the repository: a renamed instance in config must not point the step elsewhere.
  return { ...layout, gitDir, workDir: dirname(dirname(gitDir)), home: `${dirname(gitDir)}/home` };
}

export const gitUndoActions: readonly UndoAction[] = [
  {
    // After the swap back: the records of both worktrees follow them (one may be gone: then nothing to do).
    kind: 'git-repair-worktrees',
    async run(ctx, data) {
      await repairWorktrees(layoutOf(ctx, arg(data, 'gitDir')), [arg(data, 'live'), arg(data, 'staged')]);
    },
  },
  {
    kind: 'git-prune-worktrees',
    async run(ctx, data) {
      await pruneWorktrees(layoutOf(ctx, arg(data, 'gitDir')));
    },
  },
];
