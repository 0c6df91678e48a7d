// `ncupd daemon` with a remote instance (issue 6): at start it recovers, over SSH, a transaction a
// power cut of ncupd left open (the journal is on this machine), then runs the scheduled update
// of the remote instance in its open window through the SSH host, not the local one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readHistory } from '../../../../daemon/engine/history.js';
import { listUnfinishedTransactions } from '../../../../daemon/engine/journal.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { DaemonStatus } from '../../../../daemon/service/status-model.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { instanceState } from '../../../helpers/instance-state.js';
import { REPO_ROOT } from '../../../helpers/repo.js';
import { parseJson, runNcupd, transcript } from '../../../helpers/run-ncupd.js';
import { FULL_TIER } from '../../../helpers/tier.js';
import { makeBed } from '../../engine/transaction-bed.js';

const local = createLocalHost('test');
const MAIN = join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 600_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('ncupd daemon with an instance over SSH (loopback sshd, SQLite)', function () {
  this.timeout(900_000);
  let server: SshdServer | undefined;
  before(async function () {
    if (!FULL_TIER || !(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
  });
  after(async () => server?.stop());

  it('recovers at start a remote transaction a power cut left open, then runs the scheduled update over SSH', async () => {
    const bed = await makeBed({
      db: 'sqlite3', instanceConfig: { windows: "[{cron: '* * * * *', durationMinutes: 60}]", soakHours: 0 },
      ssh: { host: server!.host, port: server!.port, user: 'root', identityFile: server!.privateKeyPath, knownHostsFile: server!.knownHostsPath },
    });
    try {
      const before = await instanceState(bed.instance);
      // A power cut of ncupd mid-window (fault injection, tests only); its connection dies with it.
      const cut = await local.run({ file: 'setsid', args: ['--wait', process.execPath, MAIN, 'now', '--config', bed.config], env: { NCUPD_FAULT: 'stage:upgrade:after=kill' }, reject: false, timeoutMs: 600_000 });
      transcript.push(cut.command, cut.stdout, cut.stderr);
      const [open] = await listUnfinishedTransactions(bed.stateDir, 'cloud');
      assert.ok(open, 'the transaction was left open');
      const daemon = local.start({ file: process.execPath, args: [MAIN, 'daemon', '--config', bed.config], env: { NCUPD_TEST_TICK_MS: '500' } });
      try {
        await waitFor('the scheduled update after recovery', async () => {
          if (!existsSync(join(bed.work, 'control.sock'))) return undefined;
          const status = await runNcupd(['status', '--json', '--config', bed.config]);
          if (status.exitCode !== 0) return undefined;
          return parseJson<DaemonStatus>(status.stdout).instances[0]?.lastRun?.result === 'updated' ? true : undefined;
        });
      } finally {
        const ended = await daemon.stop(60_000);
        transcript.push(ended.command, ended.stdout, ended.stderr);
        assert.match(ended.stdout + ended.stderr, new RegExp(`recovered transaction ${open.txid}: rolled-back`));
      }
      const history = await readHistory(bed.stateDir, { instance: 'cloud', limit: 10 });
      // Newest first: the scheduled update, then the recovery's rollback of the cut transaction.
      assert.deepEqual(history.map((h) => [h.txid === open.txid, h.result]), [[false, 'updated'], [true, 'rolled-back']]);
      const after = await instanceState(bed.instance);
      assert.equal(after.files, before.files, 'user files unchanged through the rollback and the update');
      assert.deepEqual(after.rows.users, before.rows.users);
      const status = JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
      assert.deepEqual([status.version, status.maintenance], ['33.0.6.1', false]);
      assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), []);
    } finally {
      await bed.close();
    }
  });
});
