// `ncupd now` end to end (issue 4): real php running the fixture, real databases, real archives,
// real unzip, real rename swaps. Fake: the internet (update server and mirror are loopback).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { DbType } from '../../fixtures/harness/instance.js';
import { FULL_TIER } from '../../helpers/tier.js';
import { parseJson } from '../../helpers/run-ncupd.js';
import { makeBed } from './transaction-bed.js';
import { assertRolledBack, assertUpdated, checkDryRun, checkLockedRefused, checkWrongPasswordRefused, fullRollbackMatrix, recordBefore, ROLLBACK_FAULTS, stateOf, status, type RollbackCase } from './transaction-cases.js';
import { REPO_ROOT } from '../../helpers/repo.js';

const host = createLocalHost();

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
            const before = await recordBefore(bed, host);
            await assertUpdated(bed, host, await bed.now(['--json']), before);
          } finally {
            await bed.close();
          }
        });
      }
    }
  }

  const faults = ROLLBACK_FAULTS;
  const rollbackMatrix = FULL_TIER
    ? fullRollbackMatrix(DATABASES, STRATEGIES)
    : [...faults.map((fault): RollbackCase => ({ db: 'sqlite3', strategy: 'archive', fault })),
      { db: 'mysql', strategy: 'archive', fault: faults[0] }, { db: 'sqlite3', strategy: 'updater', fault: faults[0] }] satisfies RollbackCase[];
  for (const rollback of rollbackMatrix) {
    const { db, strategy, fault } = rollback;
    it(`rolls back ${fault.what} on ${db} (${strategy}): code, config, rows and files exactly as before`, async () => {
      const bed = await makeBed({ db, strategy, faults: [...fault.faults] });
      try {
        const before = await recordBefore(bed, host);
        await assertRolledBack(bed, host, await bed.now(['--json']), before, rollback);
      } finally {
        await bed.close();
      }
    });
  }

  it('refuses before any change when the database password is wrong (password authentication, not trust)', async () => {
    await checkWrongPasswordRefused(makeBed);
  });

  it('refuses a second transaction on the same instance, naming the running one', async () => {
    const bed = await makeBed();
    try {
      await checkLockedRefused(bed);
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
      await checkDryRun(bed, host);
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
