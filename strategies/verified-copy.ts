import { join } from 'node:path';
import type { RunContext } from '../daemon/engine/context.js';
import { makePrivateDir } from '../daemon/engine/host-fs.js';
import { placeVerifiedArchive } from '../daemon/releases/place-archive.js';

/**
 * The run's verified archive where the instance's host reads it (placeVerifiedArchive): over SSH
 * a checked copy in `<txDir>/download`, a folder of its own (not the staging folder, whose size
 * the bounded extraction counts), removed again when the run stops before the window (a failure,
 * --dry-run). After a successful run it stays with the run's folder until retention.
 */
export async function placeArchiveForRun(ctx: RunContext, txDir: string): Promise<string> {
  const archive = ctx.state.archive;
  if (!archive) throw new Error(`${ctx.strategy.id} strategy: no verified archive in the run state`);
  const download = join(txDir, 'download');
  await ctx.undo.push({ kind: 'remove-staged-tree', name: 'remove the copy of the verified archive', data: { path: download } });
  await makePrivateDir(ctx.host, download);
  return (await placeVerifiedArchive(ctx.host, archive, download, ctx.signal)).path;
}
