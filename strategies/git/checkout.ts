import { join, resolve } from 'node:path';
import { isDirectory, exists } from '../../daemon/engine/host-fs.js';
import { git, type GitLayout } from './layout.js';
import type { GitUser } from './runner.js';

/** How ncupd may talk to a checkout's repository without trusting files the web server user can write. */
export interface CheckoutAccess {
  /** `own`: the checkout's own .git folder (before ncupd's first update): read as its owner. `ncupd`: a worktree of ncupd's repository. */
  readonly kind: 'own' | 'ncupd';
  /** Arguments that pin the repository (never the checkout's own `.git` file, which its owner may rewrite). */
  readonly args: readonly string[];
  readonly as?: GitUser;
  /** For `ncupd`: the worktree's admin folder in ncupd's repository. */
  readonly adminDir?: string;
}

export interface SubmoduleState {
  readonly path: string;
  /** Commit the superproject records. */
  readonly recorded: string;
  /** Commit checked out in the submodule (undefined: not initialised). */
  readonly checkedOut: string | undefined;
}

export interface CheckoutState {
  readonly access: CheckoutAccess;
  readonly head: string;
  /** Tags pointing at HEAD (`git tag --points-at`). */
  readonly tags: readonly string[];
  readonly remotes: Readonly<Record<string, string>>;
  readonly submodules: readonly SubmoduleState[];
  /** Porcelain lines: modified, staged, deleted and untracked files (ignored files are the instance's and do not count). */
  readonly changes: readonly string[];
  /** Folders below apps/ that are repositories of their own (apps developed or pinned in place). */
  readonly nestedRepositories: readonly string[];
}

function parseGitfile(content: string, base: string): string | undefined {
  const match = /^gitdir: (.+)$/m.exec(content);
  return match ? resolve(base, match[1]!.trim()) : undefined;
}

/** Which repository a tree belongs to; refuses a `.git` file that points anywhere but into ncupd's repository. */
export async function accessOf(layout: GitLayout, tree: string): Promise<CheckoutAccess> {
  const dotGit = join(tree, '.git');
  if (await isDirectory(layout.host, dotGit)) {
    const owner = (await layout.host.run({ file: 'stat', args: ['-c', '%U %u %g', tree] })).stdout.trim().split(' ');
    // root reading a repository the web server user controls would run that user's hooks and
    // filters as root (the reason for git's safe.directory): read it as its owner instead.
    const as = owner[1] === '0' ? undefined : { user: owner[0]!, uid: Number(owner[1]), gid: Number(owner[2]) };
    return { kind: 'own', args: [], as };
  }
  if (!(await exists(layout.host, dotGit))) throw new Error(`${tree} is not a git checkout (no .git)`);
  const adminDir = parseGitfile((await layout.host.readFile(dotGit)).toString('utf8'), tree);
  if (!adminDir || !adminDir.startsWith(`${layout.gitDir}/worktrees/`)) {
    throw new Error(`${dotGit} points to ${adminDir ?? 'nothing'}, not into ncupd's repository ${layout.gitDir}`);
  }
  return { kind: 'ncupd', args: ['--git-dir', adminDir, '--work-tree', tree], adminDir };
}

async function run(layout: GitLayout, access: CheckoutAccess, tree: string, args: string[], reject = true) {
  return git(layout, { args: [...access.args, ...args], cwd: tree, as: access.as, reject, env: access.as ? { HOME: '/nonexistent' } : {} });
}

/** The commit a submodule has checked out, read through its gitfile only when that points into ncupd's repository. */
async function submoduleHead(layout: GitLayout, access: CheckoutAccess, tree: string, path: string): Promise<string | undefined> {
  const dir = join(tree, path);
  if (!(await exists(layout.host, join(dir, '.git')))) return undefined;
  if (access.kind === 'own') {
    const result = await git(layout, { args: ['rev-parse', 'HEAD'], cwd: dir, as: access.as, reject: false, env: access.as ? { HOME: '/nonexistent' } : {} });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }
  const moduleDir = parseGitfile((await layout.host.readFile(join(dir, '.git'))).toString('utf8'), dir);
  if (!moduleDir || !moduleDir.startsWith(`${layout.gitDir}/`)) throw new Error(`${dir}/.git points to ${moduleDir ?? 'nothing'}, not into ncupd's repository`);
  const result = await git(layout, { args: ['--git-dir', moduleDir, 'rev-parse', 'HEAD'], cwd: dir, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

export async function submodulesOf(layout: GitLayout, access: CheckoutAccess, tree: string): Promise<SubmoduleState[]> {
  const staged = (await run(layout, access, tree, ['ls-files', '-s', '-z'])).stdout.split('\0').filter((l) => l.startsWith('160000 '));
  const out: SubmoduleState[] = [];
  for (const line of staged) {
    const [meta, path] = line.split('\t');
    const recorded = meta!.split(' ')[1]!;
    out.push({ path: path!, recorded, checkedOut: await submoduleHead(layout, access, tree, path!) });
  }
  return out;
}

/** Discovery of a checkout: what it is, where it came from, what an update would lose. */
export async function inspectCheckout(layout: GitLayout, tree: string): Promise<CheckoutState> {
  const access = await accessOf(layout, tree);
  const head = (await run(layout, access, tree, ['rev-parse', 'HEAD'])).stdout.trim();
  const tags = (await run(layout, access, tree, ['tag', '--points-at', 'HEAD'], false)).stdout.split('\n').filter(Boolean);
  const remotes: Record<string, string> = {};
  for (const line of (await run(layout, access, tree, ['remote', '-v'], false)).stdout.split('\n')) {
    const [name, url, kind] = line.split(/\s+/);
    if (name && url && kind === '(fetch)') remotes[name] = url;
  }
  const status = await run(layout, access, tree, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none']);
  const changes = status.stdout.split('\0').filter((l) => /^[ MADRCU?!]{2} /.test(l));
  const appsDir = join(tree, 'apps');
  const found = await layout.host.run({ file: 'find', args: [appsDir, '-mindepth', '2', '-maxdepth', '2', '-name', '.git'], reject: false });
  const nestedRepositories = found.stdout.split('\n').filter(Boolean).map((p) => p.slice(tree.length + 1, -'/.git'.length));
  return { access, head, tags, remotes, submodules: await submodulesOf(layout, access, tree), changes, nestedRepositories };
}
