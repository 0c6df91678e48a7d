// The two ways git runs (strategies/git/runner.ts): simple-git for local checkouts, the Host's
// `run` for SSH ones. Both are exercised here on the local machine with real git: the Host path
// through the local Host (the SSH Host is another helper's; it implements the same contract).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { hostGitRunner } from '../../../strategies/git/host-git-runner.js';
import { gitRunnerFor, type GitRunner } from '../../../strategies/git/runner.js';
import { simpleGitRunner } from '../../../strategies/git/simple-git-runner.js';

const host = createLocalHost();

describe('git runners: simple-git locally, the Host otherwise', function () {
  this.timeout(60_000);

  it('picks simple-git for a local host and the Host for any other', () => {
    assert.equal(gitRunnerFor(host).via, 'simple-git');
    assert.equal(gitRunnerFor({ ...host, id: 'ssh:cloud.example', kind: 'ssh' }).via, 'host:ssh:cloud.example');
  });

  const runners: [string, GitRunner][] = [['simple-git', simpleGitRunner()], ['host', hostGitRunner(host)]];
  for (const [name, runner] of runners) {
    describe(name, () => {
      const home = mkdtempSync(join(tmpdir(), 'ncupd-githome-'));
      const env = { HOME: home, GIT_CONFIG_NOSYSTEM: '1' };

      it('returns exit code, stdout and stderr alike for success and failure; throws only when asked to', async () => {
        const repo = mkdtempSync(join(tmpdir(), 'ncupd-runner-'));
        await runner.run({ args: ['init', '-q', repo], cwd: repo, env });
        const ok = await runner.run({ args: ['rev-parse', '--git-dir'], cwd: repo, env });
        assert.deepEqual([ok.exitCode, ok.stdout.trim()], [0, '.git']);
        const bad = await runner.run({ args: ['rev-parse', '--verify', 'refs/tags/none'], cwd: repo, env, reject: false });
        assert.notEqual(bad.exitCode, 0);
        assert.match(bad.stderr, /Needed a single revision/);
        await assert.rejects(runner.run({ args: ['rev-parse', '--verify', 'refs/tags/none'], cwd: repo, env }), /exited \d+/);
      });

      it('passes no variable of ncupd\'s own environment to git', async () => {
        process.env.GIT_AUTHOR_NAME = 'leaked from the daemon';
        try {
          const ident = await runner.run({ args: ['var', 'GIT_AUTHOR_IDENT'], cwd: home, env: { ...env, GIT_AUTHOR_EMAIL: 'x@example.test' }, reject: false });
          assert.doesNotMatch(ident.stdout + ident.stderr, /leaked/);
        } finally {
          delete process.env.GIT_AUTHOR_NAME;
        }
      });
    });
  }

  it('simple-git keeps its guard against unsafe options (only the file protocol is let through, and only when allowed)', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'ncupd-runner-'));
    const runner = simpleGitRunner();
    await assert.rejects(runner.run({ args: ['-c', 'core.sshCommand=touch /tmp/pwned', 'status'], cwd: repo, env: {} }), /unsafe|core\.sshCommand/i);
    await assert.rejects(runner.run({ args: ['-c', 'protocol.ext.allow=always', 'status'], cwd: repo, env: {} }), /unsafe|protocol/i);
  });
});
