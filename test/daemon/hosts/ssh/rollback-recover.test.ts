// Rollback and recovery of a remote instance (issue 6): the transaction bed's fixture instance
// (SQLite, archive strategy) reached through the real sshd harness on loopback, with the
// connection cut from the server side in the maintenance window. The journal stays on this
// machine; the instance, its snapshot and the commands a dropped connection left running are on
// the target. Acceptance: "Killing the SSH connection in the window ends, after reconnect and
// recovery, with the instance whole."
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { listUnfinishedTransactions } from '../../../../daemon/engine/journal.js';
import type { RunSummary } from '../../../../daemon/engine/journal-types.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { CommandResult } from '../../../../daemon/hosts/host.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { instanceState } from '../../../helpers/instance-state.js';
import { REPO_ROOT } from '../../../helpers/repo.js';
import { parseJson, runNcupd, transcript } from '../../../helpers/run-ncupd.js';
import { FULL_TIER } from '../../../helpers/tier.js';
import { makeBed, type Bed } from '../../engine/transaction-bed.js';
import { assertWholeOnOld, status } from '../../engine/transaction-cases.js';
import { dropConnections, freezeListener } from './drop-connection.js';

const local = createLocalHost('test');

/** The `occ upgrade` a dropped connection left running on the target (loopback: this machine). */
async function leftoverUpgrade(bed: Bed): Promise<string> {
  return (await local.run({ file: 'pgrep', args: ['-f', '--', `${bed.instance.root}/occ upgrade`], reject: false })).stdout.trim();
}

async function waitForFile(path: string, ms = 300_000): Promise<void> {
  for (const end = Date.now() + ms; !existsSync(path);) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `ncupd <args>` in its own process group (setsid), so a `kill` fault is a power cut of ncupd alone, not of the test. */
async function ncupdInGroup(bed: Bed, args: string[], env: Record<string, string>): Promise<CommandResult> {
  const result = await local.run({
    file: 'setsid', args: ['--wait', process.execPath, join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js'), ...args, '--config', bed.config],
    env, reject: false, timeoutMs: 600_000,
  });
  transcript.push(result.command, result.stdout, result.stderr);
  return result;
}

/** Whole on the old release (assertWholeOnOld), nothing of ncupd left in the root, nothing left running. */
async function assertWholeOnOldHere(bed: Bed, before: Awaited<ReturnType<typeof instanceState>>): Promise<void> {
  await assertWholeOnOld(bed, before);
  assert.deepEqual((await instanceState(bed.instance)).entries, before.entries, 'nothing of ncupd left in the root');
  assert.equal(await leftoverUpgrade(bed), '', 'no occ upgrade left running on the target');
}

describe('rollback and recovery over SSH (loopback sshd, SQLite, archive strategy)', function () {
  this.timeout(900_000);
  let server: SshdServer | undefined;
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
  });
  afterEach(async () => {
    if (server) await freezeListener(server.port, false).catch(() => undefined);
  });
  after(async () => server?.stop());

  const sshOption = (extra: { connectTimeoutSeconds?: number } = {}) => ({ host: server!.host, port: server!.port, user: 'root', identityFile: server!.privateKeyPath, knownHostsFile: server!.knownHostsPath, ...extra });

  it('a connection killed during occ upgrade: the run reconnects, stops the occ upgrade left running on the target, and rolls back whole', async () => {
    // The migration changes rows, then sleeps 5 s: the occ upgrade outlives its connection and
    // writes again after it; a rollback that restored under it would not end whole.
    const bed = await makeBed({ db: 'sqlite3', faults: ['hanging-upgrade'], instance: { config: { 'fixture.upgrade.hang.seconds': 5 } }, ssh: sshOption(), instanceConfig: { rollbackWaitSeconds: 120 } });
    const pause = join(bed.work, 'pause');
    try {
      const before = await instanceState(bed.instance);
      const run = runNcupd(['now', '--config', bed.config, '--json'], { env: { NCUPD_FAULT: 'upgrade:running=pause', NCUPD_FAULT_PAUSE_FILE: pause, NCUPD_FAULT_DELAY_MS: '1000' }, timeoutMs: 600_000 });
      // The pause point only marks the moment (occ upgrade has run 1 s); it does not hold the command.
      await waitForFile(pause);
      assert.notEqual(await leftoverUpgrade(bed), '', 'occ upgrade runs on the target when the connection is cut');
      const killed = await dropConnections(server!.port);
      assert.ok(killed.length > 0, 'a server-side sshd process of the connection was killed');
      rmSync(pause, { force: true });
      const result = await run;
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'rolled-back', `${JSON.stringify(summary)}\n${result.stderr}`);
      assert.equal(result.exitCode, 7);
      assert.equal(summary.failedStage, 'upgrade');
      assert.equal(summary.errorCode, 'NCUPD_SSH_CONNECTION_LOST');
      // Rows equal below prove the rollback waited: the occ upgrade left on the target writes again after its sleep.
      await assertWholeOnOldHere(bed, before);
    } finally {
      rmSync(pause, { force: true });
      await bed.close();
    }
  });

  (FULL_TIER ? it : it.skip)('ncupd rollback puts back the snapshot of an update on the target: the old version exactly', async () => {
    const bed = await makeBed({ db: 'sqlite3', ssh: sshOption() });
    try {
      const before = await instanceState(bed.instance);
      const update = await bed.now(['--json']);
      assert.equal(parseJson<RunSummary>(update.stdout).result, 'updated', update.stdout + update.stderr);
      assert.equal((await status(bed)).version, '33.0.6.1');
      const rollback = (extra: string[]) => runNcupd(['rollback', '--instance', 'cloud', '--config', bed.config, ...extra], { timeoutMs: 600_000 });
      const asked = await rollback([]);
      assert.equal(asked.exitCode, 0, asked.stdout + asked.stderr);
      assert.match(asked.stdout, /Nothing was changed\. Run again with --yes/);
      assert.equal((await status(bed)).version, '33.0.6.1', 'without --yes nothing happens');
      const done = await rollback(['--yes']);
      assert.equal(done.exitCode, 0, done.stdout + done.stderr);
      assert.match(done.stdout, /^cloud: restored 33\.0\.6\.1 -> 33\.0\.5\.1/m);
      await assertWholeOnOldHere(bed, before);
      // The restore itself took a fresh snapshot on the target: a second rollback is refused, as locally.
      const again = await rollback([]);
      assert.equal(again.exitCode, 1);
      assert.match(again.stdout + again.stderr, /NCUPD_NO_SNAPSHOT/);
    } finally {
      await bed.close();
    }
  });

  (FULL_TIER ? it : it.skip)('a connection killed in the window while the host stays unreachable: the run leaves the transaction open; ncupd recover reconnects and rolls back whole', async () => {
    // occ upgrade hangs for an hour: recovery must stop it (TERM) before it restores anything.
    const bed = await makeBed({ db: 'sqlite3', faults: ['hanging-upgrade'], ssh: sshOption({ connectTimeoutSeconds: 2 }), instanceConfig: { rollbackWaitSeconds: 6 } });
    const pause = join(bed.work, 'pause');
    try {
      const before = await instanceState(bed.instance);
      const run = runNcupd(['now', '--config', bed.config, '--json'], { env: { NCUPD_FAULT: 'upgrade:running=pause', NCUPD_FAULT_PAUSE_FILE: pause, NCUPD_FAULT_DELAY_MS: '1000' }, timeoutMs: 600_000 });
      await waitForFile(pause);
      await freezeListener(server!.port, true);
      assert.ok((await dropConnections(server!.port)).length > 0);
      rmSync(pause, { force: true });
      const result = await run;
      assert.ok(result.stdout.trim().startsWith('{'), `exit ${result.exitCode ?? result.signal}: ${result.stdout}${result.stderr}`);
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'rollback-failed', JSON.stringify(summary));
      assert.equal(result.exitCode, 8);
      assert.equal((await listUnfinishedTransactions(bed.stateDir, 'cloud')).length, 1, 'the journal is left for recovery');
      assert.equal((await status(bed)).maintenance, true, 'maintenance stays on while the instance is half-updated');

      await freezeListener(server!.port, false);
      const recovered = await runNcupd(['recover', '--config', bed.config, '--json'], { timeoutMs: 600_000 });
      assert.equal(recovered.exitCode, 0, recovered.stdout + recovered.stderr);
      const summaries = parseJson<RunSummary[]>(recovered.stdout);
      assert.deepEqual(summaries.map((s) => s.result), ['rolled-back'], recovered.stdout);
      await assertWholeOnOldHere(bed, before);
    } finally {
      rmSync(pause, { force: true });
      await bed.close();
    }
  });

  (FULL_TIER ? it : it.skip)('ncupd killed (SIGKILL) during occ upgrade: ncupd recover reconnects, stops the occ upgrade left on the target and rolls back whole', async () => {
    const bed = await makeBed({ db: 'sqlite3', faults: ['hanging-upgrade'], ssh: sshOption() });
    try {
      const before = await instanceState(bed.instance);
      const killed = await ncupdInGroup(bed, ['now'], { NCUPD_FAULT: 'upgrade:running=kill', NCUPD_FAULT_DELAY_MS: '1000' });
      assert.notEqual(killed.exitCode, 0, killed.stdout + killed.stderr);
      assert.equal((await listUnfinishedTransactions(bed.stateDir, 'cloud')).length, 1, 'the kill left the transaction open');
      assert.notEqual(await leftoverUpgrade(bed), '', 'the occ upgrade survived ncupd on the target');
      const recovered = await ncupdInGroup(bed, ['recover'], {});
      assert.equal(recovered.exitCode, 0, recovered.stdout + recovered.stderr);
      assert.match(recovered.stdout, /stopping leftover process/);
      assert.match(recovered.stdout, /^cloud: rolled-back /m);
      await assertWholeOnOldHere(bed, before);
    } finally {
      await bed.close();
    }
  });
});
