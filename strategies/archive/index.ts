import { dirname, join } from 'node:path';
import type { RunContext } from '../../daemon/engine/context.js';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';
import { exists, makePrivateDir, ownershipOf, rename, sameFilesystem, syncFilesystem } from '../../daemon/engine/host-fs.js';
import { runReloadHook } from '../reload-hook.js';
import { extractVerifiedZip } from '../../integrity/archive/bounded-extract.js';
import type { UpdateStrategy } from '../strategy.js';
import { mergeInstanceLines, planCarryOver } from './carry-over.js';
import { carryInto, swapTrees } from '../rename-swap.js';
import { placeArchiveForRun } from '../verified-copy.js';

async function mergeLines(ctx: RunContext, kind: '.htaccess' | '.user.ini', live: string, staged: string): Promise<void> {
  const read = async (path: string) => ((await exists(ctx.host, path)) ? (await ctx.host.readFile(path)).toString('utf8') : '');
  const merged = mergeInstanceLines(kind, await read(`${live}/${kind}`), await read(`${staged}/${kind}`));
  await ctx.host.writeFile(`${staged}/${kind}`, merged, { mode: 0o644 });
}

/** The default strategy: unpack beside the live tree online, swap by rename in the window (design.md). */
export const archiveStrategy = {
  id: 'archive',
  supportedHosts: ['local', 'ssh'],
  needsTools: ['unzip', 'prlimit', 'find', 'mv', 'chown', 'stat', 'sync'],
  needsArchive: true,
  forGitCheckouts: false,

  async prepare(ctx) {
    const live = ctx.instance.path;
    const archive = ctx.state.archive;
    if (!archive) throw new Error('archive strategy: no verified archive in the run state');
    const workDir = join(dirname(live), `.ncupd-${ctx.instance.name}`);
    if (!(await sameFilesystem(ctx.host, live, dirname(live)))) {
      throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'stage', instance: ctx.instance.name,
        detail: `${live} is a mount point: the archive strategy swaps by rename and needs ${dirname(live)} on the same filesystem`,
        hint: 'Use `strategy: updater` for this instance, or mount the parent folder instead of the install root.' });
    }
    const txDir = join(workDir, ctx.txid);
    const stagedParent = join(txDir, 'staged');
    await ctx.undo.push({ kind: 'remove-staged-tree', name: 'remove the staged tree', data: { path: stagedParent } });
    await makePrivateDir(ctx.host, workDir);
    await makePrivateDir(ctx.host, txDir);
    await makePrivateDir(ctx.host, stagedParent);
    // Entries were judged safe before (integrity/archive); unzip is the fastest correct extractor (design.md,
    // "Archives"), run with a per-file size limit and a count afterwards so lying sizes cannot fill the disk.
    // A remote instance unpacks its own copy, checked against the verified SHA-512 where it lies.
    const placed = await placeArchiveForRun(ctx, txDir);
    const staged = join(stagedParent, 'nextcloud');
    const owner = await ownershipOf(ctx.host, live);
    // The tree is root's and root-only until it is whole. While the count runs, ownership moves to
    // the instance's owner and the file data starts going to disk (the flush after the merges then
    // has only metadata left); either failing leaves only ncupd's own staging to remove.
    await extractVerifiedZip(ctx.host, placed, stagedParent, { entries: archive.entries, expandedBytes: archive.expandedBytes, largestEntry: archive.largestEntry, files: archive.files }, ctx.signal,
      async () => void await Promise.all([
        ctx.host.run({ file: 'chown', args: ['-R', `${owner.uid}:${owner.gid}`, staged], timeoutMs: 600_000, signal: ctx.signal }),
        syncFilesystem(ctx.host, stagedParent),
      ]));
    await mergeLines(ctx, '.htaccess', live, staged);
    await mergeLines(ctx, '.user.ini', live, staged);
    await ctx.host.run({ file: 'chown', args: [`${owner.uid}:${owner.gid}`, `${staged}/.htaccess`, `${staged}/.user.ini`] });
    await ctx.host.run({ file: 'chmod', args: [owner.mode, staged] });
    await syncFilesystem(ctx.host, staged);
    ctx.state.workDir = workDir;
    ctx.state.stagedRoot = staged;
    ctx.state.oldRoot = join(txDir, 'old');
  },

  async apply(ctx) {
    const live = ctx.instance.path;
    const { stagedRoot: staged, oldRoot: old, discovered } = ctx.state;
    if (!staged || !old || !discovered) throw new Error('archive strategy: apply before prepare');
    const appsPaths = discovered.apps.map((a) => dirname(a.dir)).filter((d, i, all) => all.indexOf(d) === i);
    const shipped = new Set(discovered.apps.filter((a) => a.shipped).map((a) => a.id));
    const plan = await planCarryOver(ctx.host, live, staged, discovered.dataDirectory, appsPaths, shipped);
    // The release's own config/ holds only samples; it waits aside so the instance's config/ can move in.
    const releaseConfig = join(dirname(old), 'release-config');
    if (await exists(ctx.host, `${staged}/config`)) {
      await ctx.undo.push({ kind: 'remove-release-config', name: 'remove the release\'s sample config folder', data: { path: releaseConfig } });
      await rename(ctx.host, `${staged}/config`, releaseConfig);
    }
    await carryInto(ctx, live, staged, plan.moves);
    await swapTrees(ctx, live, staged, old);
    await runReloadHook(ctx);
  },

  keptCodeSnapshot(ctx) {
    return ctx.state.oldRoot;
  },
} satisfies UpdateStrategy;
