import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import type { CommandSpec } from '../../../../daemon/hosts/host.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir } from '../../../fixtures/harness/temp-files.js';
import { findLeaks } from '../../../helpers/secret-scan.js';
import { targetFor } from './ssh-target.js';

const local = createLocalHost('ssh-test');

/** Whether a process whose command line contains `marker` still runs (the sshd is on this machine). */
async function running(marker: string): Promise<boolean> {
  return (await local.run({ file: 'pgrep', args: ['-f', marker], reject: false })).exitCode === 0;
}

async function gone(marker: string, withinMs = 5000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!(await running(marker))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A `sleep` whose argument is unique, so pgrep finds exactly this one. */
function uniqueSleep(): { spec: CommandSpec; marker: string } {
  const marker = `300.${Date.now()}${Math.floor(Math.random() * 1000)}`;
  return { spec: { file: 'sleep', args: [marker] }, marker: `sleep ${marker}` };
}

describe('ssh host executor (root login, real sshd)', function () {
  let server: SshdServer | undefined;
  let scratch = '';
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
    scratch = await makeTempDir('ncupd-ssh-host-test');
  });
  after(async () => {
    await server?.stop();
    if (scratch) await removeDir(scratch);
  });

  it('renames, tells existence and lists folders as the local executor does', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const dir = join(scratch, 'file-ops');
      await local.run({ file: 'mkdir', args: ['-p', join(dir, 'a b', 'inner')] });
      await writeFile(join(dir, '.htaccess'), '');
      await local.run({ file: 'ln', args: ['-s', join(dir, 'gone'), join(dir, 'dangling')] });
      for (const path of [join(dir, 'a b'), join(dir, 'dangling'), join(dir, 'missing')]) {
        assert.equal(await host.exists(path), await local.exists(path), path);
      }
      assert.deepEqual((await host.listDir(dir)).sort(), (await local.listDir(dir)).sort());
      assert.deepEqual(await host.listDir(join(dir, 'missing')), []);
      await host.rename(join(dir, 'a b'), join(dir, 'c d'));
      assert.ok(existsSync(join(dir, 'c d', 'inner')) && !existsSync(join(dir, 'a b')));
      // Across filesystems a rename fails instead of copying, as rename(2) does.
      const error = await host.rename(join(dir, 'c d'), '/dev/shm/ncupd-ssh-rename').then(() => undefined, (e: unknown) => e);
      assert.ok(isNcupdError(error), String(error));
      assert.match(error.message, /Invalid cross-device link/);
      assert.ok(existsSync(join(dir, 'c d', 'inner')), 'nothing moved');
    } finally {
      await host.close();
    }
  });

  it('returns the local executor\'s result shape, for success and failure alike', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const specs: CommandSpec[] = [
        { file: 'sh', args: ['-c', 'echo out; echo err >&2'] },
        { file: 'sh', args: ['-c', 'echo partial; exit 3'], reject: false },
        { file: 'sh', args: ['-c', 'cat; echo "[$GIVEN]"'], input: 'from stdin\n', env: { GIVEN: 'yes' } },
        { file: 'pwd', cwd: '/usr' },
      ];
      for (const spec of specs) {
        const [here, there] = [await local.run(spec), await host.run(spec)];
        assert.deepEqual(Object.keys(there).sort(), Object.keys(here).sort());
        for (const field of ['exitCode', 'signal', 'timedOut', 'stdout', 'stderr', 'failed'] as const) {
          assert.deepEqual(there[field], here[field], `${field} of ${spec.file} ${(spec.args ?? []).join(' ')}`);
        }
        assert.match(there.command, /^\[127\.0\.0\.1\] /);
      }
    } finally {
      await host.close();
    }
  });

  it('passes no implicit environment from the SSH session', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const result = await host.run({ file: 'env' });
      assert.deepEqual(result.stdout.trim().split('\n').map((line) => line.split('=')[0]).sort(), ['LANG', 'PATH']);
    } finally {
      await host.close();
    }
  });

  it('throws the same coded errors: failure, timeout, missing program', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      await assert.rejects(host.run({ file: 'false' }), (e) => isNcupdError(e, 'NCUPD_COMMAND_FAILED'));
      await assert.rejects(host.run({ file: 'no-such-program-ncupd' }), (e) => isNcupdError(e, 'NCUPD_COMMAND_NOT_FOUND'));
      const { spec, marker } = uniqueSleep();
      await assert.rejects(host.run({ ...spec, timeoutMs: 300 }), (e) => isNcupdError(e, 'NCUPD_COMMAND_TIMEOUT'));
      assert.ok(await gone(marker), 'the timed-out remote process was killed');
      const timedOut = await host.run({ ...uniqueSleep().spec, timeoutMs: 300, reject: false });
      assert.equal(timedOut.timedOut, true);
      assert.equal(timedOut.failed, true);
      assert.equal(timedOut.signal, 'SIGTERM');
    } finally {
      await host.close();
    }
  });

  it('cancels through the abort signal and kills the remote process', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const { spec, marker } = uniqueSleep();
      const controller = new AbortController();
      const run = host.run({ ...spec, signal: controller.signal });
      for (let i = 0; i < 50 && !(await running(marker)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(await running(marker), 'the remote sleep started');
      controller.abort();
      await assert.rejects(run, (e) => isNcupdError(e, 'NCUPD_COMMAND_ABORTED'));
      assert.ok(await gone(marker), 'the cancelled remote process is gone');
    } finally {
      await host.close();
    }
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const marker = `ncupd-stubborn-${Date.now()}`;
      const child = host.start({ file: 'sh', args: ['-c', 'trap "" TERM; while :; do sleep 1; done', marker] });
      for (let i = 0; i < 50 && !(await running(marker)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const result = await child.stop(500);
      assert.equal(result.signal, 'SIGKILL');
      assert.equal(result.failed, true);
      assert.ok(await gone(marker), 'the shell is gone');
    } finally {
      await host.close();
    }
  });

  it('starts a long-running process and stops it with SIGTERM', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const { spec, marker } = uniqueSleep();
      const child = host.start(spec);
      for (let i = 0; i < 50 && !(await running(marker)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(await running(marker));
      const result = await child.stop(5000);
      assert.equal(result.signal, 'SIGTERM');
      assert.ok(await gone(marker));
    } finally {
      await host.close();
    }
  });

  it('writes files over SFTP with their mode before any byte, atomically, and reads them back', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const path = join(scratch, 'secret.conf');
      const data = randomBytes(300_000);
      await host.writeFile(path, data, { mode: 0o600 });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.ok((await readFile(path)).equals(data));
      assert.ok((await host.readFile(path)).equals(data));
      // Overwriting replaces the file whole and takes the new mode.
      await host.writeFile(path, 'second\n', { mode: 0o640 });
      assert.equal((await stat(path)).mode & 0o777, 0o640);
      assert.equal(await readFile(path, 'utf8'), 'second\n');
      await host.writeFile(join(scratch, 'empty'), '');
      assert.equal((await stat(join(scratch, 'empty'))).size, 0);
      await assert.rejects(host.readFile(join(scratch, 'missing')), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
    } finally {
      await host.close();
    }
  });

  it('reconnects after the connection drops, and reports a drop during a command as lost', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      assert.equal((await host.run({ file: 'echo', args: ['before'] })).stdout, 'before\n');
      // The command kills its own sshd session process: the connection ends mid-command.
      await assert.rejects(host.run({ file: 'sh', args: ['-c', 'kill -9 $PPID; sleep 5'] }), (e) => isNcupdError(e, 'NCUPD_SSH_CONNECTION_LOST'));
      assert.equal((await host.run({ file: 'echo', args: ['after'] })).stdout, 'after\n');
    } finally {
      await host.close();
    }
  });

  it('notices a silent server through keepalives and runs the next command on a new connection', async () => {
    const host = createSshHost(targetFor(server!, { keepaliveSeconds: 1 }));
    try {
      // The sshd process serving our connection (the command's parent) stops answering, as a
      // hung host or a dead link would; this test started that sshd, so it may stop it.
      const session = Number((await host.run({ file: 'sh', args: ['-c', 'echo $PPID'] })).stdout.trim());
      assert.ok(session > 1);
      process.kill(session, 'SIGSTOP');
      try {
        const started = Date.now();
        const result = await host.run({ file: 'echo', args: ['again'] });
        assert.equal(result.stdout, 'again\n');
        assert.ok(Date.now() - started >= 2000, 'the stale connection was given up by the keepalives, not at once');
      } finally {
        process.kill(session, 'SIGCONT');
      }
    } finally {
      await host.close();
    }
  });

  it('keeps secrets out of the command, the output and errors', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const secret = `pw-${randomBytes(8).toString('hex')} $x`;
      const texts: string[] = [];
      const result = await host.run({ file: 'sh', args: ['-c', 'read -r line; echo "$line"; echo "$line" >&2'], input: `${secret}\n`, secrets: [secret] });
      texts.push(result.command, result.stdout, result.stderr);
      const error = await host.run({ file: 'sh', args: ['-c', 'read -r line; echo "$line" >&2; exit 1'], input: `${secret}\n`, secrets: [secret] }).catch((e: unknown) => e);
      texts.push(String(error), (error as Error).message);
      assert.ok(result.stdout.includes('***'));
      assert.deepEqual(findLeaks(texts, [secret]), []);
    } finally {
      await host.close();
    }
  });

  it('runs many commands in parallel over one connection', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => host.run({ file: 'echo', args: [String(i)] })));
      assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 20 }, (_, i) => `${i}\n`));
    } finally {
      await host.close();
    }
  });

  it('writes nothing when a command is refused: no marker file exists after a failed connect', async () => {
    const marker = join(scratch, `marker-${Date.now()}`);
    const wrongKnownHosts = join(scratch, 'empty_known_hosts');
    await writeFile(wrongKnownHosts, '', { mode: 0o600 });
    const host = createSshHost(targetFor(server!, { knownHostsFile: wrongKnownHosts }));
    try {
      await assert.rejects(host.run({ file: 'touch', args: [marker] }), (e) => isNcupdError(e, 'NCUPD_SSH_HOST_KEY_UNKNOWN'));
      assert.equal(existsSync(marker), false);
    } finally {
      await host.close();
    }
  });
});
