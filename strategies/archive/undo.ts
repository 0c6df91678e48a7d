import type { RunContext } from '../../daemon/engine/context.js';
import { exists, removeOwnTree, rename } from '../../daemon/engine/host-fs.js';
import { arg, type UndoAction } from '../../daemon/engine/undo-action.js';
import { faultPoint } from '../../daemon/engine/faults.js';
import { runReloadHook } from '../reload-hook.js';

/**
 * Staged-tree paths that still hold entries of the live tree: carried there, and their move back
 * not journaled as done. (The release's own config/ may sit at the same path again, so existence
 * alone does not tell; the journal does.)
 */
async function stillCarried(ctx: RunContext, under: string): Promise<string[]> {
  const records = await ctx.journal.records();
  const undone = new Set(records.filter((r) => r.type === 'undo-done').map((r) => r.data?.id));
  const movedBack = new Set(records
    .filter((r) => r.type === 'undo-push' && r.data?.kind === 'move-back' && undone.has(r.data.id))
    .map((r) => (r.data?.args as { from?: string } | undefined)?.from));
  const held: string[] = [];
  for (const r of records) {
    const to = r.type === 'intent' && r.step === 'carry' ? r.data?.to : undefined;
    if (typeof to === 'string' && to.startsWith(`${under}/`) && !movedBack.has(to) && (await exists(ctx.host, to))) held.push(to);
  }
  return held;
}

/** The archive strategy's undo steps, as data (see daemon/engine/undo-action.ts): each one safe to run twice. */
export const archiveUndoActions: readonly UndoAction[] = [
  {
    kind: 'remove-staged-tree',
    async run(ctx, data) {
      const path = arg(data, 'path');
      // Never delete what belongs to the instance: if a move back failed, the data is still in there.
      const left = await stillCarried(ctx, path);
      if (left.length > 0) throw new Error(`kept ${path}: it still holds ${left.join(', ')}`);
      await removeOwnTree(ctx.host, path);
    },
  },
  {
    // The release's sample config/ waits in ncupd's own folder; undoing means dropping it. It never
    // goes back into the staged tree: that path belongs to the instance's carried config/, and a
    // move back decides by what is there (found by the fault matrix).
    kind: 'remove-release-config',
    async run(ctx, data) {
      const path = arg(data, 'path');
      if (!path.includes('/.ncupd-')) throw new Error(`refusing to remove ${path}: not in an ncupd work folder`);
      await removeOwnTree(ctx.host, path);
    },
  },
  {
    kind: 'move-back',
    async run(ctx, data) {
      // Only what really moved comes back (a forward rename that never ran left it in place); if
      // something took its place meanwhile, that is reported, never overwritten.
      const [from, to, relative] = [arg(data, 'from'), arg(data, 'to'), arg(data, 'relative')];
      if (!(await exists(ctx.host, from))) return;
      if (await exists(ctx.host, to)) throw new Error(`cannot move ${relative} back: ${to} exists again (it stays at ${from})`);
      await rename(ctx.host, from, to);
    },
  },
  {
    kind: 'swap-back',
    barrier: true,
    async run(ctx, data) {
      const [live, staged, old] = [arg(data, 'live'), arg(data, 'staged'), arg(data, 'old')];
      // Also when a crash fell between the two renames, forward or back: the live path may be empty.
      if (await exists(ctx.host, old)) {
        if (await exists(ctx.host, live)) await rename(ctx.host, live, staged);
        await faultPoint('swap-back:between');
        await rename(ctx.host, old, live);
      }
      await runReloadHook(ctx);
    },
  },
];
