import { GitError, GitPluginError, simpleGit } from 'simple-git';
import { describeFailure, FILE_PROTOCOL, GIT_PREFIX, type GitCall, type GitResult, type GitRunner } from './runner.js';

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * git through simple-git, for checkouts on the local host (design.md: the one exception to "only
 * the Host spawns processes"). One simple-git instance per call: its environment is replaced, not
 * merged (`.env()`), so nothing of ncupd's environment reaches git; its own unsafe-argument guard
 * stays on, and only the file protocol is let through when the instance allows it.
 */
export function simpleGitRunner(): GitRunner {
  return {
    via: 'simple-git',
    async run(call: GitCall): Promise<GitResult> {
      let exitCode = 0;
      let stderr = '';
      const git = simpleGit({
        baseDir: call.cwd, maxConcurrentProcesses: 1, trimmed: false,
        timeout: { block: call.timeoutMs ?? 600_000 },
        ...(call.signal ? { abort: call.signal } : {}),
        ...(call.as ? { spawnOptions: { uid: call.as.uid, gid: call.as.gid } } : {}),
        unsafe: { allowUnsafeProtocolOverride: call.allowFileProtocol === true },
        // Exit code and stderr of every run, success or not; only a failure to run at all (spawn
        // error, timeout, abort) stays an error here.
        errors(error, result) {
          exitCode = result.exitCode;
          stderr = Buffer.concat(result.stdErr).toString('utf8');
          // simple-git's own guard (unsafe arguments), timeouts and aborts stay errors.
          if (error instanceof GitPluginError || !(error instanceof GitError) || result.exitCode <= 0) return error;
          return undefined;
        },
      }).env({ PATH, LANG: 'C.UTF-8', ...call.env });
      const stdout = await git.raw([...GIT_PREFIX, ...(call.allowFileProtocol ? FILE_PROTOCOL : []), ...call.args]);
      const result = { exitCode, stdout, stderr };
      if (exitCode !== 0 && call.reject !== false) throw new Error(describeFailure(call, result));
      return result;
    },
  };
}
