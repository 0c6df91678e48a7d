// A command whose SSH connection drops keeps running on the target (sshd leaves a command without
// a terminal alone on hangup); the SSH host stops it, on the new connection, before the next
// command runs (issue 6: a rollback must not restore under an `occ upgrade` that still migrates).
import assert from 'node:assert/strict';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { allowSudo, sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { dropConnections, freezeListener } from './drop-connection.js';
import { targetFor } from './ssh-target.js';
import { ensureWebUser, WEB_USER } from '../../../helpers/web-user.js';

const local = createLocalHost('ssh-test');

/** Pids of the processes whose command line contains `marker` (the "target" is this machine). */
async function pidsOf(marker: string): Promise<string[]> {
  return (await local.run({ file: 'pgrep', args: ['-f', '--', marker], reject: false })).stdout.split('\n').filter(Boolean);
}

async function waitFor(what: string, condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !(await condition());) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const login of ['root', 'sudo'] as const) {
  describe(`ssh host: a command left running by a dropped connection (${login} login)`, function () {
    this.timeout(60_000);
    let server: SshdServer | undefined;
    before(async function () {
      if (!(await sshdAvailable())) this.skip();
      await ensureWebUser();
      if (login === 'sudo') await allowSudo([WEB_USER]);
      server = await startSshd(login === 'root' ? { user: 'root' } : {});
    });
    after(async () => server?.stop());

    it('is reported as NCUPD_SSH_CONNECTION_LOST, survives the drop, and is stopped before the next command runs', async () => {
      const host = createSshHost(targetFor(server!));
      const marker = `301.${Date.now()}${Math.floor(Math.random() * 1000)}`;
      try {
        // As the web user does it: under sudo for a non-root login, so sudo's own process is stopped too.
        const running = host.run({ file: 'sleep', args: [marker], user: WEB_USER }).then(() => undefined, (error: unknown) => error);
        await waitFor('the sleep runs on the target', async () => (await pidsOf(`sleep ${marker}`)).length > 0);
        assert.ok((await dropConnections(server!.port)).length > 0, 'the server side of the connection was killed');
        const error = await running;
        assert.ok(isNcupdError(error, 'NCUPD_SSH_CONNECTION_LOST'), String(error));
        assert.notDeepEqual(await pidsOf(`sleep ${marker}`), [], 'sshd left the command running');

        const next = await host.run({ file: 'echo', args: ['next'] });
        assert.equal(next.stdout.trim(), 'next', 'the next command runs on a new connection');
        await waitFor('the lost sleep is gone', async () => (await pidsOf(`sleep ${marker}`)).length === 0, 5000);
      } finally {
        await host.close();
        for (const pid of await pidsOf(`sleep ${marker}`)) process.kill(Number(pid), 'SIGKILL');
      }
    });

    it('a handshake that never comes (sshd frozen) fails with NCUPD_SSH_CONNECT_FAILED, and the late socket error does not crash ncupd', async () => {
      const host = createSshHost(targetFor(server!, { connectTimeoutSeconds: 1 }));
      const uncaught: unknown[] = [];
      const record = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', record);
      await freezeListener(server!.port, true);
      try {
        const error = await host.run({ file: 'true' }).then(() => undefined, (e: unknown) => e);
        assert.ok(isNcupdError(error, 'NCUPD_SSH_CONNECT_FAILED'), String(error));
        await freezeListener(server!.port, false);
        // The listener now answers the queued connection and finds its client gone: the socket ends.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.deepEqual(uncaught, []);
        assert.equal((await host.run({ file: 'echo', args: ['back'] })).stdout.trim(), 'back', 'the next command connects');
      } finally {
        process.off('uncaughtException', record);
        await freezeListener(server!.port, false);
        await host.close();
      }
    });

    // Under sudo the pid is sudo's, whose arguments name the program for as long as it runs.
    (login === 'root' ? it : it.skip)('leaves alone a process that took the pid of a lost command (another program)', async () => {
      const host = createSshHost(targetFor(server!));
      const marker = `302.${Date.now()}${Math.floor(Math.random() * 1000)}`;
      try {
        // The lost command's program is `sh`; the process at its pid now runs `perl`, as a process that reused the pid would.
        const running = host.run({ file: 'sh', args: ['-c', `exec perl -e 'sleep 300' ${marker}`] }).then(() => undefined, (error: unknown) => error);
        // Its own command line names `sh` until it has exec'd perl: wait for perl.
        await waitFor('perl runs on the target', async () => (await pidsOf(`perl -e sleep 300 ${marker}`)).length > 0);
        await dropConnections(server!.port);
        assert.ok(isNcupdError(await running, 'NCUPD_SSH_CONNECTION_LOST'));
        const before = await pidsOf(marker);
        assert.notDeepEqual(before, []);
        await host.run({ file: 'true' });
        await new Promise((resolve) => setTimeout(resolve, 2500));
        assert.deepEqual(await pidsOf(marker), before, 'a process that is not the lost program is not signalled');
      } finally {
        await host.close();
        for (const pid of await pidsOf(marker)) process.kill(Number(pid), 'SIGKILL');
      }
    });
  });
}
