// `ncupd daemon` end to end (issue 7): the real daemon process on a fixture instance, its control
// socket, scheduled runs inside a maintenance window, SIGHUP and SIGTERM. Fake: the internet
// (update server double) and systemd as PID 1 (the unit is tested with systemd-analyze elsewhere).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { listUnfinishedTransactions } from '../../../daemon/engine/journal.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { RunningProcess } from '../../../daemon/hosts/host.js';
import type { DaemonStatus } from '../../../daemon/service/status-model.js';
import { makeBed, type Bed } from '../engine/transaction-bed.js';
import { askDaemon } from '../../../daemon/control/client.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { parseJson, runNcupd, transcript } from '../../helpers/run-ncupd.js';
import { treeHashExcept } from '../../helpers/tree-hash.js';

const host = createLocalHost();
const MAIN = join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js');
const OPEN_NOW = "[{cron: '* * * * *', durationMinutes: 60}]";
const CLOSED = "[{cron: '0 0 1 1 *', timezone: UTC, durationMinutes: 30}]";

function configPath(bed: Bed): string {
  return join(bed.work, 'config.yaml');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function startDaemonProcess(bed: Bed, env: Record<string, string> = {}): RunningProcess {
  const daemon = host.start({ file: process.execPath, args: [MAIN, 'daemon', '--config', configPath(bed)], env: { NCUPD_TEST_TICK_MS: '500', ...env } });
  void daemon.exited.then((r) => transcript.push(r.command, r.stdout, r.stderr));
  return daemon;
}

async function daemonStatus(bed: Bed): Promise<DaemonStatus> {
  const result = await runNcupd(['status', '--json', '--config', configPath(bed)]);
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  return parseJson<DaemonStatus>(result.stdout);
}

/** The daemon's status once its first check is done, and a few ticks later (time to start a run, if it would). */
async function afterFirstCheck(bed: Bed): Promise<DaemonStatus> {
  const status = await waitFor('the first check', async () => {
    if (!existsSync(join(bed.work, 'control.sock'))) return undefined;
    const s = await daemonStatus(bed);
    return s.instances[0]?.lastCheckAt ? s : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return status;
}

async function version(bed: Bed): Promise<string> {
  return (JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string }).version;
}

describe('ncupd daemon', function () {
  this.timeout(300_000);

  it('runs a scheduled update when a maintenance window is open now', async () => {
    const bed = await makeBed({ instanceConfig: { windows: OPEN_NOW, soakHours: 0 } });
    const daemon = startDaemonProcess(bed);
    try {
      await waitFor('the control socket', () => (existsSync(join(bed.work, 'control.sock')) ? true : undefined));
      const status = await waitFor('the scheduled run to finish', async () => {
        const s = await daemonStatus(bed);
        return s.instances[0]?.lastRun?.result === 'updated' ? s : undefined;
      });
      assert.equal(await version(bed), '33.0.6.1');
      assert.equal(status.instances[0]?.windowOpen, true);
      assert.equal(status.instances[0]?.updateCount, 1);
    } finally {
      await daemon.stop(30_000);
      await bed.close();
    }
  });

  it('starts nothing on a paused instance, and updates once it is resumed (pause kept across a restart)', async () => {
    const bed = await makeBed({ instanceConfig: { windows: OPEN_NOW, soakHours: 0 } });
    // Paused while no daemon runs: written to the state file, read at start.
    const paused = await runNcupd(['pause', '--instance', 'cloud', '--config', configPath(bed)]);
    assert.match(paused.stdout, /cloud: paused/);
    const daemon = startDaemonProcess(bed);
    try {
      const status = await afterFirstCheck(bed);
      const cloud = (await daemonStatus(bed)).instances[0]!;
      assert.equal(cloud.paused, true);
      assert.equal(cloud.reason, 'paused');
      assert.equal(cloud.lastRun, undefined, 'nothing ran while paused');
      assert.ok(status.instances[0]?.windowOpen);
      const resumed = await runNcupd(['resume', '--instance', 'cloud', '--config', configPath(bed)]);
      assert.match(resumed.stdout, /cloud: resumed/);
      await waitFor('the update after resume', async () => ((await daemonStatus(bed)).instances[0]?.lastRun?.result === 'updated' ? true : undefined));
      assert.equal(await version(bed), '33.0.6.1');
    } finally {
      await daemon.stop(30_000);
      await bed.close();
    }
  });

  it('recovers at start a transaction a power cut left open, before anything else', async () => {
    const bed = await makeBed({ instanceConfig: { windows: CLOSED } });
    const before = await bed.instance.dumpDatabase();
    // A power cut mid-window (fault injection, tests only): ncupd and its children die together.
    const cut = await host.run({ file: 'setsid', args: ['--wait', process.execPath, MAIN, 'now', '--config', configPath(bed)], env: { NCUPD_FAULT: 'stage:upgrade:after=kill' }, reject: false, timeoutMs: 300_000 });
    transcript.push(cut.command, cut.stdout, cut.stderr);
    assert.equal((await listUnfinishedTransactions(bed.stateDir, 'cloud')).length, 1, 'the transaction was left open');
    const daemon = startDaemonProcess(bed);
    try {
      const cloud = await waitFor('recovery at start', async () => {
        if (!existsSync(join(bed.work, 'control.sock'))) return undefined;
        const s = (await daemonStatus(bed)).instances[0];
        return s && s.openTransactions === 0 && s.lastRun ? s : undefined;
      });
      assert.equal(cloud.lastRun?.result, 'rolled-back');
      assert.equal(await version(bed), '33.0.5.1');
      assert.deepEqual(await bed.instance.dumpDatabase(), before, 'every row as before');
    } finally {
      const ended = await daemon.stop(30_000);
      assert.match(ended.stdout + ended.stderr, /recovered transaction \S+: rolled-back/);
      await bed.close();
    }
  });

  it('only reports the pending update while the window is closed (and after the soak delay)', async () => {
    const bed = await makeBed({ instanceConfig: { windows: CLOSED, soakHours: 0 } });
    // systemd as PID 1 cannot exist here: a socat datagram receiver stands in for its notify socket.
    const notifySocket = join(bed.work, 'notify.sock');
    const notifyLog = join(bed.work, 'notify.log');
    const receiver = host.start({ file: 'bash', args: ['-c', `exec socat -u UNIX-RECV:${notifySocket} OPEN:${notifyLog},creat,append`] });
    await waitFor('the notify socket', () => (existsSync(notifySocket) ? true : undefined));
    // Operators in this group may use the control socket without root.
    await host.run({ file: 'groupadd', args: ['-f', 'ncupd-test-ops'] });
    writeFileSync(configPath(bed), readFileSync(configPath(bed), 'utf8').replace('  jitterSeconds: 0', '  jitterSeconds: 0\n  operatorGroup: ncupd-test-ops'));
    const daemon = startDaemonProcess(bed, { NOTIFY_SOCKET: notifySocket });
    try {
      const status = await afterFirstCheck(bed);
      const cloud = (await daemonStatus(bed)).instances[0]!;
      assert.equal(cloud.decision, 'update');
      assert.match(cloud.available ?? '', /^33\.0\.6/);
      assert.equal(cloud.reason, 'outside its maintenance windows');
      assert.equal(cloud.windowOpen, false);
      assert.equal(cloud.nextWindow, '2027-01-01T00:00:00.000Z');
      assert.equal(cloud.lastRun, undefined, 'nothing ran');
      assert.ok(status.instances[0]?.firstSeenAt);
      assert.equal(await version(bed), '33.0.5.1');
      const socket = (await host.run({ file: 'stat', args: ['-c', '%a %U %G', join(bed.work, 'control.sock')] })).stdout.trim();
      assert.equal(socket, '660 root ncupd-test-ops', 'the control socket: root, the operators\' group, mode 0660');
      const told = readFileSync(notifyLog, 'utf8');
      assert.match(told, /READY=1/, 'systemd is told when the daemon is ready');
      assert.match(told, /STATUS=watching 1 instance\(s\)/);
      const stopped = await daemon.stop(30_000);
      assert.equal(stopped.exitCode, 0, `idle, SIGTERM ends the daemon at once: ${stopped.stdout}${stopped.stderr}`);
      assert.match(readFileSync(notifyLog, 'utf8'), /STOPPING=1/);
    } finally {
      await daemon.stop(30_000);
      await receiver.stop(1000);
      await bed.close();
    }
  });

  it('streams `ncupd now` through the daemon, refuses a second one naming the transaction, and keeps the old config on a broken SIGHUP', async () => {
    const bed = await makeBed({ faults: ['hanging-upgrade'], instance: { config: { 'fixture.upgrade.hang.seconds': 6 } }, instanceConfig: { windows: CLOSED } });
    const daemon = startDaemonProcess(bed);
    try {
      await waitFor('the control socket', () => (existsSync(join(bed.work, 'control.sock')) ? true : undefined));
      const first = runNcupd(['now', '--config', configPath(bed)], { timeoutMs: 300_000 });
      const running = await waitFor('the run to start', async () => (await daemonStatus(bed)).instances[0]?.running);
      const second = await runNcupd(['now', '--json', '--config', configPath(bed)]);
      assert.equal(second.exitCode, 1, second.stdout);
      const error = parseJson<{ error: { code: string; message: string } }>(second.stdout).error;
      assert.equal(error.code, 'NCUPD_LOCKED');
      assert.match(error.message, new RegExp(running.txid));

      // A broken config on SIGHUP: the old one stays in force, status says why.
      const good = readFileSync(configPath(bed), 'utf8');
      writeFileSync(configPath(bed), `${good}\nbogusKey: 1\n`);
      await host.run({ file: 'kill', args: ['-HUP', String(daemon.pid)] });
      // Asked on the socket directly: the CLI itself would refuse the broken file.
      const reloaded = await waitFor('the failed reload', async () => {
        let s: DaemonStatus | undefined;
        await askDaemon(join(bed.work, 'control.sock'), { cmd: 'status' }, (reply) => {
          if (reply.type === 'status') s = reply.status;
        });
        return s?.configError ? s : undefined;
      });
      assert.match(reloaded.configError ?? '', /bogusKey/);
      writeFileSync(configPath(bed), good);

      const result = await first;
      assert.equal(result.exitCode, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /transaction \S+ started by the ncupd daemon/);
      assert.match(result.stdout, /✔ upgrade/);
      assert.match(result.stdout, /^cloud: updated 33\.0\.5\.1 -> 33\.0\.6\.1/m);
      assert.equal(await version(bed), '33.0.6.1');
    } finally {
      await daemon.stop(30_000);
      await bed.close();
    }
  });

  it('on SIGTERM mid-run rolls the transaction back and exits, leaving the instance whole', async () => {
    const bed = await makeBed({ faults: ['hanging-upgrade'], instance: { config: { 'fixture.upgrade.hang.seconds': 120 } }, instanceConfig: { windows: OPEN_NOW, soakHours: 0 } });
    const codeBefore = treeHashExcept(new Set([bed.instance.dataDir]), bed.instance.root);
    const rowsBefore = await bed.instance.dumpDatabase();
    const daemon = startDaemonProcess(bed);
    try {
      await waitFor('the upgrade to hang', async () => (existsSync(join(bed.work, 'control.sock')) && (await daemonStatus(bed)).instances[0]?.running?.stage === 'upgrade' ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const stopped = Date.now();
      const result = await daemon.stop(120_000);
      assert.ok(Date.now() - stopped < 60_000, `the daemon ended ${Date.now() - stopped} ms after SIGTERM`);
      assert.equal(result.exitCode, 0, `${result.signal ?? ''} ${result.stdout}${result.stderr}`);
      assert.match(result.stdout + result.stderr, /rolled-back/);
      assert.equal(await version(bed), '33.0.5.1');
      assert.equal(treeHashExcept(new Set([bed.instance.dataDir]), bed.instance.root), codeBefore);
      assert.deepEqual(await bed.instance.dumpDatabase(), rowsBefore);
      assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), []);
      const history = readFileSync(join(bed.stateDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunSummary);
      assert.equal(history.at(-1)?.result, 'rolled-back');
    } finally {
      await daemon.stop(30_000);
      await bed.close();
    }
  });
});
