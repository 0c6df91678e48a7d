import type { Host } from '../../daemon/hosts/host.js';
import { hostGitRunner } from './host-git-runner.js';
import { simpleGitRunner } from './simple-git-runner.js';

/** Who a git command runs as: ncupd (root), or the owner of a checkout whose own .git ncupd does not control. */
export interface GitUser {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

export interface GitCall {
  readonly args: readonly string[];
  readonly cwd: string;
  /** The complete environment (beyond PATH and LANG): nothing of ncupd's own is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** When false, a non-zero exit is returned instead of thrown. Default true. */
  readonly reject?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly as?: GitUser;
  /** Submodules from local paths (`protocol.file.allow=always`), only when the instance's config allows it. */
  readonly allowFileProtocol?: boolean;
}

export interface GitResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * How git runs on the checkout's host (strategies/git/README.md): simple-git where the checkout is
 * local, the Host's own `run` over SSH. Both get the same arguments, the same explicit environment
 * and `safe.directory=*` (ncupd runs as root on a tree the web server user owns).
 */
export interface GitRunner {
  /** Which path runs git, for logs and the README's promise: `simple-git` or `host:<id>`. */
  readonly via: string;
  run(call: GitCall): Promise<GitResult>;
}

export const GIT_PREFIX = ['-c', 'safe.directory=*'];
export const FILE_PROTOCOL = ['-c', 'protocol.file.allow=always'];

export function gitRunnerFor(host: Host): GitRunner {
  return host.kind === 'local' ? simpleGitRunner() : hostGitRunner(host);
}

/** One line naming the command and its output, for errors (git prints no secrets of ncupd's: none are passed to it). */
export function describeFailure(call: GitCall, result: GitResult): string {
  const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-6).join('\n');
  return `git ${call.args.join(' ')} (in ${call.cwd}) exited ${result.exitCode}${output ? `:\n${output}` : ''}`;
}
