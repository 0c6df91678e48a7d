import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { ensureWebUser, WEB_USER } from '../../helpers/web-user.js';

describe('local host executor', () => {
  const host = createLocalHost();

  it('returns the same result shape for success and failure', async () => {
    const ok = await host.run({ file: 'sh', args: ['-c', 'echo out; echo err >&2'] });
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.failed, false);
    assert.equal(ok.stdout, 'out\n');
    assert.equal(ok.stderr, 'err\n');
    assert.equal(typeof ok.durationMs, 'number');
    const bad = await host.run({ file: 'sh', args: ['-c', 'exit 3'], reject: false });
    assert.deepEqual(Object.keys(bad).sort(), Object.keys(ok).sort());
    assert.equal(bad.exitCode, 3);
    assert.equal(bad.failed, true);
  });

  it('throws coded errors: failure, timeout, missing program', async () => {
    await assert.rejects(host.run({ file: 'false' }), (e) => isNcupdError(e, 'NCUPD_COMMAND_FAILED'));
    await assert.rejects(host.run({ file: 'sleep', args: ['5'], timeoutMs: 200 }), (e) => isNcupdError(e, 'NCUPD_COMMAND_TIMEOUT'));
    await assert.rejects(host.run({ file: 'no-such-program-ncupd' }), (e) => isNcupdError(e, 'NCUPD_COMMAND_NOT_FOUND'));
  });

  it('cancels a command through its abort signal', async () => {
    const controller = new AbortController();
    const running = host.run({ file: 'sleep', args: ['5'], signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(running, (e) => isNcupdError(e, 'NCUPD_COMMAND_ABORTED'));
  });

  it('passes stdin and an explicit environment only', async () => {
    process.env.NCUPD_LEAK_CHECK = 'leaked';
    try {
      const result = await host.run({ file: 'sh', args: ['-c', 'cat; echo "[$NCUPD_LEAK_CHECK][$GIVEN]"'], input: 'from stdin\n', env: { GIVEN: 'yes' } });
      assert.equal(result.stdout, 'from stdin\n[][yes]\n');
    } finally {
      delete process.env.NCUPD_LEAK_CHECK;
    }
  });

  it('redacts secrets from the command line, output and errors', async () => {
    const secret = 'pa$$ w0rd';
    const result = await host.run({ file: 'echo', args: [secret, encodeURIComponent(secret)], secrets: [secret] });
    assert.ok(!result.command.includes(secret) && !result.command.includes(encodeURIComponent(secret)));
    assert.ok(!result.stdout.includes(secret));
    await assert.rejects(host.run({ file: 'sh', args: ['-c', `echo ${JSON.stringify(secret)} >&2; exit 1`], secrets: [secret] }),
      (e) => e instanceof Error && !e.message.includes(secret) && e.message.includes('***'));
  });

  it('runs as another user when asked', async () => {
    await ensureWebUser();
    const result = await host.run({ file: 'id', args: ['-un'], user: WEB_USER });
    assert.equal(result.stdout.trim(), WEB_USER);
  });

  it('stops a long-running process with SIGTERM at once', async () => {
    await ensureWebUser();
    const child = host.start({ file: 'sleep', args: ['30'], user: WEB_USER });
    const started = Date.now();
    const result = await child.stop(5000);
    assert.equal(result.signal, 'SIGTERM');
    assert.ok(Date.now() - started < 4000, 'the signal reached the program, not a wrapper');
  });

  it('renames with the bare system call: atomic, and an error across filesystems instead of a copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncupd-rename-'));
    const other = mkdtempSync('/dev/shm/ncupd-rename-');
    try {
      mkdirSync(join(dir, 'a'));
      writeFileSync(join(dir, 'a', 'f'), 'x');
      await host.rename(join(dir, 'a'), join(dir, 'b'));
      assert.equal(readFileSync(join(dir, 'b', 'f'), 'utf8'), 'x');
      assert.equal(existsSync(join(dir, 'a')), false);
      // /dev/shm is tmpfs, /tmp is not: mv would copy and delete, rename(2) refuses.
      const error = await host.rename(join(dir, 'b'), join(other, 'b')).then(() => undefined, (e: unknown) => e);
      assert.ok(isNcupdError(error) && error.code === 'NCUPD_COMMAND_FAILED', String(error));
      assert.match(error.message, /EXDEV/);
      assert.equal(readFileSync(join(dir, 'b', 'f'), 'utf8'), 'x', 'nothing moved');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('tells whether a path exists (following links) and lists folders with their dot files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ncupd-list-'));
    try {
      writeFileSync(join(dir, '.htaccess'), '');
      mkdirSync(join(dir, 'apps'));
      symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
      assert.equal(await host.exists(join(dir, 'apps')), true);
      assert.equal(await host.exists(join(dir, 'dangling')), false, 'as test -e: a dangling link does not exist');
      assert.equal(await host.exists(join(dir, 'missing')), false);
      assert.deepEqual((await host.listDir(dir)).sort(), ['.htaccess', 'apps', 'dangling']);
      assert.deepEqual(await host.listDir(join(dir, 'missing')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
