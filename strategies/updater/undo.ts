import { dirname, join } from 'node:path';
import type { RunContext } from '../../daemon/engine/context.js';
import { exists, listDir, makePrivateDir, removeOwnTree, rename } from '../../daemon/engine/host-fs.js';
import { arg, type UndoAction } from '../../daemon/engine/undo-action.js';
import { faultPoint } from '../../daemon/engine/faults.js';
import { runReloadHook } from '../reload-hook.js';
import { stopLeftoverServer } from './serve-archive.js';

/** The data directory's entry in the install root, when it lives there (never moved by a restore). */
export function dataEntry(ctx: RunContext): string | undefined {
  const data = ctx.state.discovered?.dataDirectory.replace(/\/+$/, '') ?? '';
  const rel = data.startsWith(`${ctx.instance.path}/`) ? data.slice(ctx.instance.path.length + 1) : undefined;
  return rel && !rel.includes('/') ? rel : undefined;
}

async function journalHas(ctx: RunContext, type: string, step: string, id?: unknown): Promise<boolean> {
  return (await ctx.journal.records()).some((r) => r.type === type && r.step === step && (id === undefined || r.data?.id === id));
}

/**
 * The updater strategy's undo steps. Restoring the code runs in two phases so that a crash in its
 * middle can resume: first every entry the updater left moves aside (a rerun moves what is still
 * there), a journal record marks that phase done, then every snapshot entry still in the snapshot
 * moves in. Renames only, never rm -rf on the instance.
 */
export const updaterUndoActions: readonly UndoAction[] = [
  {
    // The run closes its server itself; this finds one left by a run that died in the updater.
    kind: 'stop-archive-server',
    async run(ctx, data) {
      await stopLeftoverServer(ctx.host, arg(data, 'workDir'));
    },
  },
  {
    kind: 'remove-partial-code-snapshot',
    async run(ctx, data) {
      // A complete snapshot is the way back for the restore step below; only a partial one is ncupd's to drop.
      if (!(await journalHas(ctx, 'done', 'code-snapshot'))) await removeOwnTree(ctx.host, arg(data, 'old'));
    },
  },
  {
    kind: 'restore-updater-code',
    barrier: true,
    async run(ctx, data) {
      const [old, live, stepFile, id] = [arg(data, 'old'), arg(data, 'live'), arg(data, 'stepFile'), arg(data, 'id')];
      const aside = join(dirname(old), 'updater-result');
      // Recorded when pushed: recovery has no discovery to ask.
      const skip = typeof data.dataEntry === 'string' && data.dataEntry !== '' ? data.dataEntry : dataEntry(ctx);
      const failed: string[] = [];
      const attempt = async (from: string, to: string) => rename(ctx.host, from, to).catch((e: unknown) => failed.push(e instanceof Error ? e.message : String(e)));
      if (!(await journalHas(ctx, 'done', 'updater-result-aside', id))) {
        await makePrivateDir(ctx.host, aside);
        for (const entry of await listDir(ctx.host, live)) if (entry !== skip) await attempt(`${live}/${entry}`, `${aside}/${entry}`);
        if (failed.length > 0) throw new Error(`could not move the updater's result aside: ${failed.join('; ')}`);
        await ctx.journal.append({ type: 'done', step: 'updater-result-aside', data: { id, aside } });
        await faultPoint('restore-code:aside');
      }
      if (await exists(ctx.host, old)) {
        for (const entry of await listDir(ctx.host, old)) await attempt(`${old}/${entry}`, `${live}/${entry}`);
      }
      await ctx.host.run({ file: 'rm', args: ['-f', '--', stepFile] });
      await runReloadHook(ctx);
      if (failed.length > 0) throw new Error(`could not restore every entry: ${failed.join('; ')}`);
    },
  },
];
