import { dirname, join } from 'node:path';
import type { RunContext } from '../../daemon/engine/context.js';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';
import { freeBytes, listDir, makePrivateDir, ownershipOf, sameFilesystem, syncFilesystem } from '../../daemon/engine/host-fs.js';
import { carryInto, swapTrees } from '../rename-swap.js';
import { runReloadHook } from '../reload-hook.js';
import { planCarryOver, type CarryMove } from '../archive/carry-over.js';
import type { UpdateStrategy } from '../strategy.js';
import { inspectCheckout, submodulesOf, accessOf } from './checkout.js';
import { ensureRepository, git, inRepo, layoutOf, type GitLayout } from './layout.js';
import { applyPatches, missingCommits } from './patches.js';
import { stageAppRepositories } from './apps.js';
import { verifyTag } from './verify-tag.js';
import { pinSubmoduleLinks, pruneWorktrees, repairWorktrees } from './worktrees.js';

function failStage(ctx: RunContext, code: 'NCUPD_GIT_TAG_UNVERIFIED' | 'NCUPD_GIT_DIRTY_TREE' | 'NCUPD_GIT_PATCH_CONFLICT' | 'NCUPD_PREFLIGHT_FAILED', detail: string, hint?: string): never {
  throw new NcupdError(code, { stage: 'stage', instance: ctx.instance.name, detail, hint });
}

/** The release tag for the version the policy chose: `35.0.0 beta 4` is tagged `v35.0.0beta4`. */
export function tagFor(pattern: string, versionString: string): string {
  return pattern.replace('{version}', versionString.replace(/\s+/g, ''));
}

/** The data directory's path when it lies inside the install root (du leaves it out). */
function discoveredDataInside(ctx: RunContext): string | undefined {
  const data = ctx.state.discovered?.dataDirectory.replace(/\/+$/, '');
  return data && data.startsWith(`${ctx.instance.path}/`) ? data : undefined;
}

/** Fetches the tag (and commits the patches need) into ncupd's repository; a moved tag is taken as fetched, then judged. */
async function fetchTarget(ctx: RunContext, layout: GitLayout, remote: string, tag: string, ownCheckout: boolean): Promise<void> {
  await inRepo(layout, ['fetch', '--no-tags', '--force', remote, `+refs/tags/${tag}:refs/tags/${tag}`], { signal: ctx.signal, timeoutMs: 3_600_000 });
  if ((await missingCommits(layout, ctx.instance.git.patches)).length === 0) return;
  // Local commits live in the checkout itself (before ncupd's first update it has its own repository).
  if (ownCheckout) await inRepo(layout, ['fetch', '--no-tags', layout.live, '+HEAD:refs/ncupd/live-head', '+refs/heads/*:refs/ncupd/live/*'], { signal: ctx.signal, timeoutMs: 3_600_000 });
  const missing = await missingCommits(layout, ctx.instance.git.patches);
  if (missing.length > 0) await inRepo(layout, ['fetch', '--no-tags', remote, ...missing], { signal: ctx.signal, timeoutMs: 3_600_000, reject: false });
  const still = await missingCommits(layout, ctx.instance.git.patches);
  if (still.length > 0) failStage(ctx, 'NCUPD_GIT_PATCH_CONFLICT', `carried commit${still.length > 1 ? 's' : ''} ${still.join(', ')} found neither in the checkout nor at ${remote}`);
}

/**
 * The checkout's remotes become ncupd's repository's (once, when its own .git is left behind with
 * the old tree): the new checkout shares that repository's config, and `git remote -v` or a later
 * update finds `origin` there. Existing remotes are never changed.
 */
async function adoptRemotes(layout: GitLayout, remotes: Readonly<Record<string, string>>): Promise<void> {
  const known = new Set((await inRepo(layout, ['remote'])).split('\n').filter(Boolean));
  for (const [name, url] of Object.entries(remotes)) if (!known.has(name)) await inRepo(layout, ['remote', 'add', name, url]);
}

/**
 * The git strategy (strategies/git/README.md): a second worktree of ncupd's own repository at the
 * verified tag, staged beside the live tree, swapped in by rename like `archive`.
 */
export const gitStrategy = {
  id: 'git',
  supportedHosts: ['local', 'ssh'],
  needsTools: ['git', 'gpg', 'find', 'mv', 'chown', 'stat', 'sync'],
  needsArchive: false,
  forGitCheckouts: true,

  async prepare(ctx) {
    const live = ctx.instance.path;
    const config = ctx.instance.git;
    const versionString = ctx.state.check?.verdict.target?.versionString;
    if (!versionString) throw new Error('git strategy: no target release');
    const layout = layoutOf(ctx);
    if (!(await sameFilesystem(ctx.host, live, dirname(live)))) {
      failStage(ctx, 'NCUPD_PREFLIGHT_FAILED', `${live} is a mount point: the git strategy swaps by rename and needs ${dirname(live)} on the same filesystem`);
    }
    const txDir = join(layout.workDir, ctx.txid);
    const stagedParent = join(txDir, 'staged');
    const staged = join(stagedParent, 'nextcloud');
    // Pushed first, run last: once the staged tree is gone, its record in the repository goes too.
    await ctx.undo.push({ kind: 'git-prune-worktrees', name: 'forget the staged worktree in ncupd\'s repository', data: { gitDir: layout.gitDir } });
    await ctx.undo.push({ kind: 'remove-staged-tree', name: 'remove the staged tree', data: { path: stagedParent } });
    await makePrivateDir(ctx.host, layout.workDir);
    await makePrivateDir(ctx.host, txDir);
    await makePrivateDir(ctx.host, stagedParent);
    await ensureRepository(layout);
    await pruneWorktrees(layout);

    const before = await inspectCheckout(layout, live);
    const sub = before.submodules.map((s) => `${s.path} ${s.checkedOut ?? 'not initialised'}`).join(', ') || 'none';
    const remotes = Object.entries(before.remotes).map(([name, url]) => `${name} ${url}`).join(', ') || 'none';
    ctx.emit({ type: 'note', message: `git checkout at ${before.head}${before.tags.length ? ` (${before.tags.join(', ')})` : ''}; remotes: ${remotes}; submodules: ${sub}; git runs via ${layout.runner.via}` });
    if (before.changes.length > 0) {
      const files = before.changes.map((c) => `  ${c}`).join('\n');
      if (!config.allowDirty) failStage(ctx, 'NCUPD_GIT_DIRTY_TREE', `${live} has ${before.changes.length} local modification(s):\n${files}`);
      ctx.emit({ type: 'note', message: `git.allowDirty: these modifications stay in the old tree only:\n${files}` });
    }
    const remote = config.remote ?? before.remotes.origin;
    if (!remote) failStage(ctx, 'NCUPD_PREFLIGHT_FAILED', `${live} has no remote "origin" and git.remote is not set`, 'Set `git.remote` to the repository the release tags come from.');
    await adoptRemotes(layout, before.access.kind === 'own' ? before.remotes : {});
    const tag = tagFor(config.tagPattern, versionString);
    await fetchTarget(ctx, layout, remote, tag, before.access.kind === 'own');
    const verdict = await verifyTag(layout, config, tag, versionString.replace(/\s+/g, ''), txDir);
    if (!verdict.ok) failStage(ctx, 'NCUPD_GIT_TAG_UNVERIFIED', `${verdict.detail} (from ${remote})`);
    ctx.emit({ type: 'note', message: `${verdict.detail}` });

    // No archive says how big the new tree is: the live code (without data) is the measure.
    const dataInside = discoveredDataInside(ctx);
    const used = Number((await ctx.host.run({ file: 'du', args: ['-s', '-B1', '--one-file-system', ...(dataInside ? [`--exclude=${dataInside}`] : []), live], timeoutMs: 600_000 })).stdout.trim().split(/\s+/)[0]);
    const free = await freeBytes(ctx.host, dirname(live));
    if (free < used * 1.1 + 64 * 1024 * 1024) {
      failStage(ctx, 'NCUPD_PREFLIGHT_FAILED', `${dirname(live)} has ${Math.floor(free / 1048576)} MiB free; a second checkout needs about ${Math.ceil((used * 1.1) / 1048576) + 64} MiB`);
    }
    await inRepo(layout, ['worktree', 'add', '--detach', staged, verdict.commit], { timeoutMs: 3_600_000 });
    await git(layout, { args: ['submodule', 'update', '--init', '--recursive'], cwd: staged, signal: ctx.signal, timeoutMs: 3_600_000 });
    const conflict = await applyPatches(layout, staged, config.patches);
    if (conflict) {
      failStage(ctx, 'NCUPD_GIT_PATCH_CONFLICT', `${conflict.patch} does not apply onto ${tag}: conflicts in ${conflict.files.join(', ') || '(git named no file)'}\n${conflict.output}`);
    }
    for (const message of await stageAppRepositories(layout, config, staged, before.nestedRepositories, tag, txDir)) ctx.emit({ type: 'note', message });
    const access = await accessOf(layout, staged);
    const head = (await git(layout, { args: [...access.args, 'rev-parse', 'HEAD'], cwd: staged })).stdout.trim();
    const submodules = await submodulesOf(layout, access, staged);
    const unsynced = submodules.filter((s) => s.checkedOut !== s.recorded);
    if (unsynced.length > 0) throw new Error(`submodules not at their recorded commits after update: ${unsynced.map((s) => s.path).join(', ')}`);
    await pinSubmoduleLinks(layout, staged, live, submodules.map((s) => s.path));
    const owner = await ownershipOf(ctx.host, live);
    await ctx.host.run({ file: 'chown', args: ['-R', `${owner.uid}:${owner.gid}`, staged], timeoutMs: 600_000 });
    await ctx.host.run({ file: 'chmod', args: [owner.mode, staged] });
    await syncFilesystem(ctx.host, staged);
    ctx.state.workDir = layout.workDir;
    ctx.state.stagedRoot = staged;
    ctx.state.oldRoot = join(txDir, 'old');
    ctx.state.gitTarget = { tag, commit: verdict.commit, head, submodules: Object.fromEntries(submodules.map((s) => [s.path, s.recorded])) };
  },

  async apply(ctx) {
    const live = ctx.instance.path;
    const layout = layoutOf(ctx);
    const { stagedRoot: staged, oldRoot: old, discovered } = ctx.state;
    if (!staged || !old || !discovered) throw new Error('git strategy: apply before prepare');
    const appsPaths = discovered.apps.map((a) => dirname(a.dir)).filter((d, i, all) => all.indexOf(d) === i);
    const shipped = new Set(discovered.apps.filter((a) => a.shipped).map((a) => a.id));
    const plan = await planCarryOver(ctx.host, live, staged, discovered.dataDirectory, appsPaths, shipped);
    // config/ holds tracked files of the release (config.sample.php): only the instance's own
    // entries move, so the new checkout's tracked files stay the tag's and its status clean.
    const stagedConfig = new Set(await listDir(ctx.host, `${staged}/config`));
    const configMoves: CarryMove[] = (await listDir(ctx.host, `${live}/config`)).filter((e) => !stagedConfig.has(e))
      .map((e) => ({ relative: `config/${e}`, why: 'configuration' }));
    const moves = [...configMoves, ...plan.moves.filter((m) => m.relative !== 'config')];
    await carryInto(ctx, live, staged, moves);
    // Pushed before the swap back, so it runs after it: the repository's records follow the trees home.
    await ctx.undo.push({ kind: 'git-repair-worktrees', name: 'point ncupd\'s repository at the trees where they are again', data: { gitDir: layout.gitDir, live, staged } });
    await swapTrees(ctx, live, staged, old);
    await repairWorktrees(layout, [live, old]);
    await runReloadHook(ctx);
  },

  async verifyApplied(ctx) {
    const target = ctx.state.gitTarget;
    if (!target) throw new Error('git strategy: no target recorded');
    const layout = layoutOf(ctx);
    const access = await accessOf(layout, ctx.instance.path);
    const head = (await git(layout, { args: [...access.args, 'rev-parse', 'HEAD'], cwd: ctx.instance.path })).stdout.trim();
    const problems: string[] = [];
    if (head !== target.head) problems.push(`HEAD is ${head}, expected ${target.head} (${target.tag}${target.head !== target.commit ? ' with the carried patches' : ''})`);
    for (const s of await submodulesOf(layout, access, ctx.instance.path)) {
      const expected = target.submodules[s.path];
      if (s.checkedOut !== expected) problems.push(`submodule ${s.path} is at ${s.checkedOut ?? 'nothing'}, expected ${expected ?? 'no submodule'}`);
    }
    if (problems.length > 0) throw new NcupdError('NCUPD_GIT_CHECKOUT_MISMATCH', { stage: 'checks', instance: ctx.instance.name, detail: problems.join('\n') });
    return `HEAD ${head} (${target.tag}), ${Object.keys(target.submodules).length} submodule(s) at the tag's commits`;
  },

  keptCodeSnapshot(ctx) {
    return ctx.state.oldRoot;
  },
} satisfies UpdateStrategy;
