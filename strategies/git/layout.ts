import { dirname, join } from 'node:path';
import type { RunContext } from '../../daemon/engine/context.js';
import { makePrivateDir } from '../../daemon/engine/host-fs.js';
import type { Host } from '../../daemon/hosts/host.js';
import { gitRunnerFor, type GitCall, type GitResult, type GitRunner } from './runner.js';

/**
 * Where the git strategy keeps things, all in the root-only work area beside the live tree (on its
 * filesystem, on its host): the repository's object store `git/<instance>.git` outlives every
 * code tree (retention removes only transaction folders), so no checkout depends on another.
 */
export interface GitLayout {
  readonly host: Host;
  readonly runner: GitRunner;
  readonly live: string;
  readonly workDir: string;
  /** The bare repository every ncupd-made checkout is a worktree of. */
  readonly gitDir: string;
  /** An empty HOME for git: no ~/.gitconfig of root's reaches it. */
  readonly home: string;
  readonly allowFileProtocol: boolean;
}

export function layoutOf(ctx: RunContext): GitLayout {
  return layoutFor(ctx.host, ctx.instance.path, ctx.instance.name, ctx.instance.git.allowFileProtocol);
}

export function layoutFor(host: Host, live: string, instance: string, allowFileProtocol = false): GitLayout {
  const workDir = join(dirname(live), `.ncupd-${instance}`);
  return { host, runner: gitRunnerFor(host), live, workDir, gitDir: join(workDir, 'git', `${instance}.git`), home: join(workDir, 'git', 'home'), allowFileProtocol };
}

export function gitEnv(layout: GitLayout, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  // GIT_OPTIONAL_LOCKS=0: `git status` must not rewrite the index of a tree it only looks at.
  return { HOME: layout.home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0',
    GIT_AUTHOR_NAME: 'ncupd', GIT_AUTHOR_EMAIL: 'ncupd@localhost', GIT_COMMITTER_NAME: 'ncupd', GIT_COMMITTER_EMAIL: 'ncupd@localhost', ...extra };
}

/** Runs git with the layout's environment. */
export function git(layout: GitLayout, call: Omit<GitCall, 'env'> & { env?: Readonly<Record<string, string>> }): Promise<GitResult> {
  return layout.runner.run({ allowFileProtocol: layout.allowFileProtocol, ...call, env: gitEnv(layout, call.env) });
}

/** git on the bare repository. */
export async function inRepo(layout: GitLayout, args: readonly string[], options: Partial<GitCall> = {}): Promise<string> {
  return (await git(layout, { ...options, args: ['--git-dir', layout.gitDir, ...args], cwd: layout.workDir })).stdout.trim();
}

/** The repository and git's empty home, made once (idempotent). */
export async function ensureRepository(layout: GitLayout): Promise<void> {
  await makePrivateDir(layout.host, layout.workDir);
  await makePrivateDir(layout.host, dirname(layout.gitDir));
  await makePrivateDir(layout.host, layout.home);
  // git's upload-pack (fetching or cloning from a checkout the web server user owns) honours
  // safe.directory only from global config, not from `-c`: this HOME is ncupd's alone.
  await layout.host.writeFile(`${layout.home}/.gitconfig`, '[safe]\n\tdirectory = *\n', { mode: 0o600 });
  const exists = await layout.host.run({ file: 'test', args: ['-f', `${layout.gitDir}/HEAD`], reject: false });
  if (exists.exitCode !== 0) await git(layout, { args: ['init', '-q', '--bare', layout.gitDir], cwd: layout.workDir });
}
