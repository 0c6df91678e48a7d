// `ncupd now` end to end (issue 4): real php running the fixture, real databases, real archives,
// real unzip, real rename swaps. Fake: the internet (update server and mirror are loopback).
import { instanceState } from '../../helpers/instance-state.js';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { DbType } from '../../fixtures/harness/instance.js';
import { FULL_TIER } from '../../helpers/tier.js';
import { parseJson } from '../../helpers/run-ncupd.js';
import { makeBed, type Bed } from './transaction-bed.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { acquireLock } from '../../../daemon/engine/lock.js';
import { privatePostgresServer } from '../../fixtures/harness/database-server.js';
import { psql, startPrivatePostgres, superuserLogin } from '../../fixtures/harness/private-postgres.js';

const host = createLocalHost();

function stateOf(bed: Bed) {
  return instanceState(bed.instance);
}

async function status(bed: Bed) {
  const result = await bed.instance.occ(['status', '--output=json']);
  return JSON.parse(result.stdout) as { version: string; maintenance: boolean; needsDbUpgrade: boolean };
}

function reloads(bed: Bed): number {
  const log = join(bed.work, 'reload.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0;
}

const DATABASES: DbType[] = FULL_TIER ? ['sqlite3', 'mysql', 'pgsql'] : ['sqlite3', 'mysql'];
const STRATEGIES = ['archive', 'updater'] as const;

describe('ncupd now: the update transaction', function () {
  this.timeout(600_000);

  for (const db of DATABASES) {
    for (const strategy of STRATEGIES) {
      for (const dataOutside of FULL_TIER ? [false, true] : [db === 'mysql']) {
        it(`updates on ${db} with the ${strategy} strategy, data ${dataOutside ? 'outside' : 'inside'} the root`, async () => {
          const bed = await makeBed({ db, strategy, dataOutside });
          try {
            const before = await stateOf(bed);
            const entriesBefore = readdirSync(bed.instance.root).sort();
            const result = await bed.now(['--json']);
            assert.equal(result.exitCode, 0, result.stdout + result.stderr);
            const summary = parseJson<RunSummary>(result.stdout);
            assert.equal(summary.result, 'updated', summary.message);
            assert.ok(summary.windowMs !== undefined && summary.windowMs > 0, 'the window was measured');
            const after = await status(bed);
            assert.equal(after.version, '33.0.6.1');
            assert.equal(after.maintenance, false);
            assert.equal(after.needsDbUpgrade, false);
            const state = await stateOf(bed);
            assert.equal(state.files, before.files, 'every user file unchanged');
            assert.deepEqual(state.rows.filecache, before.rows.filecache, 'every user row unchanged');
            assert.deepEqual(state.rows.users, before.rows.users);
            assert.deepEqual(state.rows.notifications, before.rows.notifications);
            assert.deepEqual(readdirSync(bed.instance.root).sort(), entriesBefore, 'nothing ncupd creates is left in the root');
            const work = join(dirname(bed.instance.root), '.ncupd-cloud');
            const peek = await host.run({ file: 'ls', args: [work], user: bed.instance.webUser, reject: false });
            assert.notEqual(peek.exitCode, 0, 'the old tree is not readable by the web server user');
            assert.ok(reloads(bed) >= 1, 'the reload hook ran after the swap');
            const snapshotDir = join(bed.work, 'state', 'snapshots', 'cloud', summary.txid);
            // Root only: the snapshot folder is root 0700 and the dump 0600; the config copy keeps the instance's
            // owner and modes (so a restore is exact) but sits behind that folder.
            const modes = await host.run({ file: 'find', args: [snapshotDir, '-printf', '%y %m %u %P\\n'] });
            for (const line of modes.stdout.trim().split('\n')) {
              const [type, mode, owner, path = ''] = line.split(' ');
              if (path === '' || path === 'database') assert.deepEqual([type, mode, owner], ['d', '700', 'root'], line);
              if (path.startsWith('database/')) assert.deepEqual([mode, owner], ['600', 'root'], line);
            }
            const peekConfig = await host.run({ file: 'cat', args: [join(snapshotDir, 'config', 'config.php')], user: bed.instance.webUser, reject: false });
            assert.notEqual(peekConfig.exitCode, 0, 'the web user cannot read the config snapshot');
          } finally {
            await bed.close();
          }
        });
      }
    }
  }

  const faults = [
    { what: 'a failing migration', faults: ['failing-migration'] as const, stage: 'upgrade', code: 'NCUPD_UPGRADE_FAILED' },
    { what: 'a failing integrity check', faults: ['broken-integrity'] as const, stage: 'checks', code: 'NCUPD_CHECK_FAILED' },
    { what: 'status.php answering 500', faults: ['status-500'] as const, stage: 'checks', code: 'NCUPD_CHECK_FAILED' },
    { what: 'a final probe failing after maintenance is off', faults: ['broken-login-page'] as const, stage: 'final-probe', code: 'NCUPD_FINAL_PROBE_FAILED' },
  ];
  const rollbackMatrix = FULL_TIER
    ? DATABASES.flatMap((db) => STRATEGIES.flatMap((strategy) => faults.map((fault) => ({ db, strategy, fault }))))
    : [...faults.map((fault) => ({ db: 'sqlite3' as DbType, strategy: 'archive' as const, fault })),
      { db: 'mysql' as DbType, strategy: 'archive' as const, fault: faults[0]! }, { db: 'sqlite3' as DbType, strategy: 'updater' as const, fault: faults[0]! }];
  for (const { db, strategy, fault } of rollbackMatrix) {
    it(`rolls back ${fault.what} on ${db} (${strategy}): code, config, rows and files exactly as before`, async () => {
      const bed = await makeBed({ db, strategy, faults: [...fault.faults] });
      try {
        const before = await stateOf(bed);
        const result = await bed.now(['--json']);
        const summary = parseJson<RunSummary>(result.stdout);
        assert.equal(summary.result, 'rolled-back', JSON.stringify(summary));
        assert.equal(result.exitCode, 7);
        assert.equal(summary.failedStage, fault.stage);
        assert.equal(summary.errorCode, fault.code);
        const after = await stateOf(bed);
        assert.equal(after.code, before.code, 'code tree hash equal');
        assert.equal(after.config, before.config, 'config.php equal');
        assert.deepEqual(after.rows, before.rows, 'every database row equal');
        assert.equal(after.files, before.files, 'every user file equal');
        const now = await status(bed);
        assert.equal(now.maintenance, false);
        assert.equal(now.version, '33.0.5.1');
        if (strategy === 'archive') assert.ok(reloads(bed) >= 2, 'the reload hook ran after the swap and after the swap back');
      } finally {
        await bed.close();
      }
    });
  }

  it('refuses before any change when the database password is wrong (password authentication, not trust)', async () => {
    const postgres = await startPrivatePostgres();
    const bed = await makeBed({ db: 'pgsql', server: privatePostgresServer(postgres) });
    try {
      const before = await stateOf(bed);
      await psql(superuserLogin(postgres), `ALTER ROLE ${bed.instance.database.user} PASSWORD 'changed-by-the-dba'`);
      const result = await bed.now(['--json']);
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'failed', JSON.stringify(summary));
      assert.ok(['NCUPD_INSTANCE_UNREADABLE', 'NCUPD_DATABASE_UNREACHABLE'].includes(summary.errorCode ?? ''), summary.errorCode);
      assert.ok(!result.stdout.includes(bed.instance.database.password));
      await psql(superuserLogin(postgres), `ALTER ROLE ${bed.instance.database.user} PASSWORD '${bed.instance.database.password}'`);
      const after = await stateOf(bed);
      assert.equal(after.code, before.code);
      assert.equal(after.config, before.config);
      assert.deepEqual(after.rows, before.rows);
      assert.equal((await status(bed)).maintenance, false);
    } finally {
      await bed.close();
      await postgres.destroy();
    }
  });

  it('refuses a second transaction on the same instance, naming the running one', async () => {
    const bed = await makeBed();
    try {
      const lock = await acquireLock(join(bed.work, 'state'), 'cloud', { txid: '20261127T000000Z-abcdef', command: 'ncupd now' });
      try {
        const result = await bed.now(['--json']);
        assert.equal(result.exitCode, 1);
        const error = parseJson<{ error: { code: string; message: string } }>(result.stdout).error;
        assert.equal(error.code, 'NCUPD_LOCKED');
        assert.match(error.message, /20261127T000000Z-abcdef/);
        assert.match(error.message, new RegExp(`pid ${process.pid}`));
      } finally {
        await lock.release();
      }
    } finally {
      await bed.close();
    }
  });

  it('falls back to the archive strategy when the installed updater has no --url', async () => {
    const bed = await makeBed({ strategy: 'updater' });
    try {
      // An updater from before --url existed (contract 4.2): it could only download unverified bytes itself.
      const phar = join(bed.instance.root, 'updater', 'updater.phar');
      writeFileSync(phar, readFileSync(phar, 'utf8').replace(/--url\b/g, '--uri').replace(/'url'/g, "'uri'"));
      const result = await bed.now();
      assert.equal(result.exitCode, 0, result.stdout);
      assert.match(result.stdout, /the installed updater has no --url option: using the archive strategy instead/);
      assert.equal((await status(bed)).version, '33.0.6.1');
    } finally {
      await bed.close();
    }
  });

  it('rolls back when SIGTERM arrives in the window (a hanging occ upgrade), within a bounded time', async () => {
    const bed = await makeBed({ faults: ['hanging-upgrade'], instance: { config: { 'fixture.upgrade.hang.seconds': 120 } } });
    try {
      const before = await stateOf(bed);
      // systemd as PID 1 cannot exist here: a socat datagram receiver stands in for its notify socket,
      // to see that ncupd asks for more stop time (EXTEND_TIMEOUT_USEC) when a rollback begins.
      const notifySocket = join(bed.work, 'notify.sock');
      const notifyLog = join(bed.work, 'notify.log');
      const receiver = host.start({ file: 'bash', args: ['-c', `exec socat -u UNIX-RECV:${notifySocket} OPEN:${notifyLog},creat,append`] });
      for (let i = 0; i < 50 && !existsSync(notifySocket); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const run = host.start({ file: process.execPath, args: [join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js'), 'now', '--json', '--config', join(bed.work, 'config.yaml')], env: { NOTIFY_SOCKET: notifySocket } });
      // Wait until occ upgrade hangs: the migration has changed rows and sleeps.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const rows = (await bed.instance.dumpDatabase().catch(() => undefined))?.appconfig;
        if (rows?.some((r) => r.configkey === 'last_migration' && r.configvalue === '33.0.6')) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const stopped = Date.now();
      const result = await run.stop(90_000);
      assert.ok(Date.now() - stopped < 60_000, `ended ${Date.now() - stopped} ms after SIGTERM`);
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'rolled-back', result.stdout + result.stderr);
      assert.equal(summary.failedStage, 'upgrade');
      const after = await stateOf(bed);
      assert.equal(after.code, before.code);
      assert.deepEqual(after.rows, before.rows);
      assert.equal((await status(bed)).maintenance, false);
      await receiver.stop(1000);
      assert.match(readFileSync(notifyLog, 'utf8'), /EXTEND_TIMEOUT_USEC=900000000/, 'asked systemd for more stop time while rolling back');
    } finally {
      await bed.close();
    }
  });

  it('keeps the data when a move back fails: rollback-failed, maintenance on, nothing deleted', async () => {
    const bed = await makeBed({ faults: ['failing-migration'] });
    try {
      // The second reload (after the swap back) recreates data/ in the live root, as a web request would:
      // moving the real data directory back then fails, and it must not be deleted with the staged tree.
      const count = join(bed.work, 'reload.count');
      writeFileSync(join(bed.work, 'reload.sh'), `#!/bin/sh\necho x >> ${count}\nif [ "$(wc -l < ${count})" -eq 2 ]; then mkdir -p ${bed.instance.dataDir} && echo busy > ${bed.instance.dataDir}/nextcloud.log; fi\n`, { mode: 0o755 });
      const userFile = 'admin/files/Documents/readme-admin.md';
      const result = await bed.now(['--json']);
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'rollback-failed', JSON.stringify(summary));
      assert.equal(result.exitCode, 8);
      assert.ok(summary.notUndone?.some((n) => /move data back/.test(n)), JSON.stringify(summary.notUndone));
      assert.ok(summary.notUndone?.some((n) => /maintenance mode left ON/.test(n)));
      assert.equal((await status(bed)).maintenance, true, 'maintenance stays on, loudly');
      const kept = join(dirname(bed.instance.root), '.ncupd-cloud', summary.txid, 'staged', 'nextcloud', 'data', userFile);
      assert.ok(existsSync(kept), 'the user files are still there, in the kept staged tree');
    } finally {
      await bed.close();
    }
  });

  it('stops before the window with --dry-run, changing nothing', async () => {
    const bed = await makeBed();
    try {
      const before = await stateOf(bed);
      const result = await bed.now(['--dry-run']);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, /dry run: stopped before the maintenance window/);
      assert.match(result.stdout, /✔ preflight/);
      assert.doesNotMatch(result.stdout, /maintenance-on/);
      assert.deepEqual(await stateOf(bed), before);
      const work = join(dirname(bed.instance.root), '.ncupd-cloud');
      const left = (await host.run({ file: 'find', args: [work, '-mindepth', '2', '-maxdepth', '3'], reject: false })).stdout.trim();
      assert.equal(left, '', 'the staged release was removed again');
    } finally {
      await bed.close();
    }
  });

  it('records one summary line per run in the history', async () => {
    const bed = await makeBed();
    try {
      await bed.now();
      const history = await (await import('../../helpers/run-ncupd.js')).runNcupd(['history', '--config', join(bed.work, 'config.yaml')]);
      assert.match(history.stdout, /cloud: updated 33\.0\.5\.1 -> 33\.0\.6\.1 window=\d+\.\d+s .*tx=\d{8}T\d{6}Z-[0-9a-f]{6}/);
    } finally {
      await bed.close();
    }
  });
});
