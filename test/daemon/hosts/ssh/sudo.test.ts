import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { allowSudo, sshdAvailable, startSshd, SSH_TEST_USER, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir } from '../../../fixtures/harness/temp-files.js';
import { ensureWebUser, WEB_USER } from '../../../helpers/web-user.js';
import { targetFor } from './ssh-target.js';

const local = createLocalHost('ssh-test');

async function running(marker: string): Promise<boolean> {
  return (await local.run({ file: 'pgrep', args: ['-f', marker], reject: false })).exitCode === 0;
}

async function settle(marker: string, want: boolean, withinMs = 5000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if ((await running(marker)) === want) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// The deployment docs/ssh.md recommends when root may not log in: an unprivileged login user with
// the documented sudoers entry; occ runs as the web user, ncupd's own steps as root.
describe('ssh host: unprivileged login with sudo', function () {
  let server: SshdServer | undefined;
  let scratch = '';
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    await ensureWebUser();
    await allowSudo([WEB_USER]);
    server = await startSshd({ user: SSH_TEST_USER });
    scratch = await makeTempDir('ncupd-ssh-sudo-test');
  });
  after(async () => {
    await server?.stop();
    if (scratch) await removeDir(scratch);
  });

  it('runs the web user\'s commands as the web user and its own steps as root', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      assert.equal((await host.run({ file: 'id', args: ['-un'], user: WEB_USER })).stdout.trim(), WEB_USER);
      assert.equal((await host.run({ file: 'id', args: ['-un'] })).stdout.trim(), 'root');
      assert.equal((await host.run({ file: 'id', args: ['-un'], user: SSH_TEST_USER })).stdout.trim(), SSH_TEST_USER);
      // stdin passes through sudo unchanged (binary-safe), and the environment is only what we gave.
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const echoed = await host.run({ file: 'sh', args: ['-c', 'od -An -tx1 -v | tr -d " \\n"; echo; echo "[$GIVEN][$SUDO_USER]"'], input: bytes, env: { GIVEN: 'yes' }, user: WEB_USER });
      assert.equal(echoed.stdout, `${bytes.toString('hex')}\n[yes][]\n`);
    } finally {
      await host.close();
    }
  });

  it('enters a root-only working directory as root, not as the login user', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const dir = join(scratch, 'root-only');
      await mkdir(dir, { mode: 0o700 });
      assert.equal((await host.run({ file: 'pwd', cwd: dir })).stdout.trim(), dir);
      const asWebUser = await host.run({ file: 'pwd', cwd: dir, user: WEB_USER, reject: false });
      assert.notEqual(asWebUser.exitCode, 0, 'the web user still cannot enter it');
    } finally {
      await host.close();
    }
  });

  it('writes and reads root\'s files through sudo, mode first', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const path = join(scratch, 'root-file');
      await host.writeFile(path, 'secret\n', { mode: 0o600 });
      const info = await stat(path);
      assert.equal(info.mode & 0o777, 0o600);
      assert.equal(info.uid, 0);
      assert.equal(await readFile(path, 'utf8'), 'secret\n');
      assert.equal((await host.readFile(path)).toString('utf8'), 'secret\n');
      await assert.rejects(host.readFile(join(scratch, 'missing')), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
    } finally {
      await host.close();
    }
  });

  it('kills a timed-out command that runs through sudo', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      for (const user of [WEB_USER, undefined]) {
        const seconds = `300.${Date.now()}${Math.floor(Math.random() * 1000)}`;
        const run = host.run({ file: 'sleep', args: [seconds], user, timeoutMs: 1500 });
        await assert.rejects(run, (e) => isNcupdError(e, 'NCUPD_COMMAND_TIMEOUT'));
        assert.ok(await settle(`^sleep ${seconds}`, false), `the remote sleep (as ${user ?? 'root'}) is gone`);
      }
    } finally {
      await host.close();
    }
  });

  it('refuses, with sudo\'s own message, a user the sudoers entry does not allow', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      await assert.rejects(host.run({ file: 'id', user: 'nobody' }), (e) => isNcupdError(e, 'NCUPD_COMMAND_FAILED') && /sudo/.test((e as Error).message));
    } finally {
      await host.close();
    }
  });
});
