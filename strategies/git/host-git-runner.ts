import type { Host } from '../../daemon/hosts/host.js';
import { describeFailure, FILE_PROTOCOL, GIT_PREFIX, type GitCall, type GitRunner } from './runner.js';

/** git through the Host (SSH hosts): the same command line the local path gives simple-git. */
export function hostGitRunner(host: Host): GitRunner {
  return {
    via: `host:${host.id}`,
    async run(call: GitCall) {
      const result = await host.run({
        file: 'git', args: [...GIT_PREFIX, ...(call.allowFileProtocol ? FILE_PROTOCOL : []), ...call.args], cwd: call.cwd, env: call.env,
        user: call.as?.user, timeoutMs: call.timeoutMs ?? 600_000, signal: call.signal, reject: false,
      });
      const out = { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
      if (result.timedOut || result.signal) throw new Error(`${describeFailure(call, out)} (${result.timedOut ? 'timed out' : `killed by ${result.signal}`})`);
      if (out.exitCode !== 0 && call.reject !== false) throw new Error(describeFailure(call, out));
      return out;
    },
  };
}
