import type { RunContext } from '../daemon/engine/context.js';
import { faultPoint } from '../daemon/engine/faults.js';
import { exists, rename } from '../daemon/engine/host-fs.js';
import type { CarryMove } from './archive/carry-over.js';

// The window's file work of every strategy that stages a whole tree beside the live one (archive,
// git): what belongs to the instance moves into the staged tree, then two renames swap the trees.
// Each rename's undo is pushed (journaled) before it runs, so recovery finds every step.

/** Moves (or copies) the instance's own entries from the live tree into the staged one. */
export async function carryInto(ctx: RunContext, live: string, staged: string, moves: readonly CarryMove[]): Promise<void> {
  for (const move of moves) {
    const from = `${live}/${move.relative}`;
    const to = `${staged}/${move.relative}`;
    if (move.copy) {
      // Copied, not moved: occ upgrade may update app-store apps in place, and the old tree must keep the originals.
      // A tree put back by `ncupd rollback` still holds its own copy, the one that matches its database.
      if (!(await exists(ctx.host, to))) await ctx.host.run({ file: 'cp', args: ['-a', '--', from, to], timeoutMs: 600_000 });
      continue;
    }
    await ctx.undo.push({ kind: 'move-back', name: `move ${move.relative} back`, data: { from: to, to: from, relative: move.relative } });
    await ctx.journal.append({ type: 'intent', step: 'carry', data: { from, to, why: move.why } });
    await rename(ctx.host, from, to);
    await ctx.journal.append({ type: 'done', step: 'carry', data: { from, to } });
    await faultPoint('carry:moved', ctx.signal);
  }
}

/** The live tree goes to `old`, the staged tree takes its place: two renames, undone by `swap-back`. */
export async function swapTrees(ctx: RunContext, live: string, staged: string, old: string): Promise<void> {
  await ctx.undo.push({ kind: 'swap-back', name: 'swap the old code back', data: { live, staged, old } });
  await ctx.journal.append({ type: 'intent', step: 'swap', data: { live, staged, old } });
  await rename(ctx.host, live, old);
  await faultPoint('swap:between', ctx.signal);
  await rename(ctx.host, staged, live);
  await faultPoint('swap:done', ctx.signal);
}
