import { join, resolve } from 'node:path';
import { exists, isDirectory } from '../../daemon/engine/host-fs.js';
import { git, inRepo, type GitLayout } from './layout.js';

/** The admin folder in ncupd's repository a tree's `.git` file names, if it is one of ncupd's worktrees. */
export async function adminDirOf(layout: GitLayout, tree: string): Promise<string | undefined> {
  const dotGit = join(tree, '.git');
  if (!(await exists(layout.host, dotGit)) || (await isDirectory(layout.host, dotGit))) return undefined;
  const match = /^gitdir: (.+)$/m.exec((await layout.host.readFile(dotGit)).toString('utf8'));
  const admin = match ? resolve(tree, match[1]!.trim()) : undefined;
  return admin?.startsWith(`${layout.gitDir}/worktrees/`) ? admin : undefined;
}

/**
 * Worktree paths are recorded absolutely in the repository; after a rename swap each moved
 * worktree's record points at its old place. `git worktree repair` rewrites the records of the
 * trees given (only ncupd's worktrees: a checkout with its own .git is none of this repository's
 * business). Idempotent.
 */
export async function repairWorktrees(layout: GitLayout, trees: readonly string[]): Promise<void> {
  const ours: string[] = [];
  for (const tree of trees) if (await adminDirOf(layout, tree)) ours.push(tree);
  if (ours.length > 0) await inRepo(layout, ['worktree', 'repair', ...ours]);
}

/**
 * Forgets worktrees whose folder is gone (removed staging, old trees retention removed). The live
 * tree's record is repaired first: a tree put back by something that does not know about worktrees
 * (`ncupd rollback` renames an old tree home) must not look gone and lose its record. Idempotent.
 */
export async function pruneWorktrees(layout: GitLayout): Promise<void> {
  if (!(await exists(layout.host, `${layout.gitDir}/HEAD`))) return;
  await repairWorktrees(layout, [layout.live]);
  await inRepo(layout, ['worktree', 'prune']);
}

/**
 * Submodules of a linked worktree keep their repositories inside the worktree's admin folder and
 * find them by relative paths both ways (`3rdparty/.git` and the module's `core.worktree`), which a
 * rename to another depth breaks. Written absolute, for the place the tree will be live at, they
 * need no write after the swap (and the swap back needs none either).
 */
export async function pinSubmoduleLinks(layout: GitLayout, tree: string, liveAt: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const gitfile = join(tree, path, '.git');
    const match = /^gitdir: (.+)$/m.exec((await layout.host.readFile(gitfile)).toString('utf8'));
    const moduleDir = match ? resolve(join(tree, path), match[1]!.trim()) : undefined;
    if (!moduleDir?.startsWith(`${layout.gitDir}/`)) throw new Error(`${gitfile} does not point into ncupd's repository`);
    await layout.host.writeFile(gitfile, `gitdir: ${moduleDir}\n`, { mode: 0o644 });
    await git(layout, { args: ['config', '--file', join(moduleDir, 'config'), 'core.worktree', join(liveAt, path)], cwd: layout.workDir });
  }
}
