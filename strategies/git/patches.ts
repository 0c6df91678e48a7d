import type { GitConfig } from '../../daemon/config/schema.js';
import { git, type GitLayout } from './layout.js';

export type CarriedPatch = GitConfig['patches'][number];

export interface PatchConflict {
  readonly patch: string;
  readonly files: readonly string[];
  readonly output: string;
}

function nameOf(patch: CarriedPatch): string {
  return 'commit' in patch ? `commit ${patch.commit}` : `patch file ${patch.file}`;
}

/**
 * Re-applies the carried patches, in order, onto the staged worktree (a detached HEAD at the
 * verified tag): commits by cherry-pick, patch files by `git am -3`. The first conflict stops,
 * named with its files; the staged tree is then thrown away with the rest of the staging.
 */
export async function applyPatches(layout: GitLayout, staged: string, patches: readonly CarriedPatch[]): Promise<PatchConflict | undefined> {
  for (const patch of patches) {
    const args = 'commit' in patch ? ['cherry-pick', '--allow-empty', '-x', patch.commit] : ['am', '-3', '--keep-cr', patch.file];
    const result = await git(layout, { args, cwd: staged, reject: false });
    if (result.exitCode === 0) continue;
    const unmerged = await git(layout, { args: ['diff', '--name-only', '--diff-filter=U'], cwd: staged, reject: false });
    let files = unmerged.stdout.split('\n').filter(Boolean);
    // `git am` that could not even fall back to a 3-way merge names the files in its messages.
    if (files.length === 0) files = [...`${result.stdout}\n${result.stderr}`.matchAll(/(?:patch failed|does not exist in index|already exists in working directory): ([^:\n]+)/g)].map((m) => m[1]!);
    return { patch: nameOf(patch), files: [...new Set(files)], output: `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-6).join('\n') };
  }
  return undefined;
}

/** Commits a patch needs that ncupd's repository does not have yet. */
export async function missingCommits(layout: GitLayout, patches: readonly CarriedPatch[]): Promise<string[]> {
  const missing: string[] = [];
  for (const patch of patches) {
    if (!('commit' in patch)) continue;
    const has = await git(layout, { args: ['--git-dir', layout.gitDir, 'cat-file', '-e', `${patch.commit}^{commit}`], cwd: layout.workDir, reject: false });
    if (has.exitCode !== 0) missing.push(patch.commit);
  }
  return missing;
}
