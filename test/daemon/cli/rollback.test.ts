// `ncupd rollback` end to end (issue 7): real php, real databases, real renames. Fake: the internet.
import { instanceState } from '../../helpers/instance-state.js';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { listUnfinishedTransactions } from '../../../daemon/engine/journal.js';
import { makeBed, type Bed } from '../engine/transaction-bed.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';

function stateOf(bed: Bed) {
  return instanceState(bed.instance);
}

async function status(bed: Bed) {
  return JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
}

function rollback(bed: Bed, extra: string[] = []) {
  return runNcupd(['rollback', '--instance', 'cloud', '--config', join(bed.work, 'config.yaml'), ...extra], { timeoutMs: 300_000 });
}

describe('ncupd rollback: put back the last snapshot', function () {
  this.timeout(300_000);

  for (const [db, strategy] of [['sqlite3', 'archive'], ['mysql', 'updater']] as const) {
    it(`restores code, config and every row on ${db} (${strategy}), after showing what would be lost and asking for --yes`, async () => {
      const bed = await makeBed({ db, strategy });
      try {
        const before = await stateOf(bed);
        const rootOwner = () => statSync(bed.instance.root);
        const ownerBefore = rootOwner();
        const update = await bed.now(['--json']);
        assert.equal(parseJson<RunSummary>(update.stdout).result, 'updated', update.stdout);
        // A change made after the update: the restore loses it, and says so first.
        await bed.instance.occ(['config:app:set', 'core', 'changed_after_update', '--value=yes']);

        const asked = await rollback(bed);
        assert.equal(asked.exitCode, 0, asked.stdout + asked.stderr);
        assert.match(asked.stdout, /ended \d+ minutes ago/);
        assert.match(asked.stdout, /LOST: every database change since then/);
        assert.match(asked.stdout, /Nothing was changed\. Run again with --yes/);
        assert.equal((await status(bed)).version, '33.0.6.1', 'without --yes nothing happens');

        const done = await rollback(bed, ['--yes']);
        assert.equal(done.exitCode, 0, done.stdout + done.stderr);
        assert.match(done.stdout, /^cloud: restored 33\.0\.6\.1 -> 33\.0\.5\.1/m);
        const after = await stateOf(bed);
        assert.equal((await status(bed)).version, '33.0.5.1');
        assert.equal((await status(bed)).maintenance, false);
        assert.equal(after.code, before.code, 'the code tree is the one before the update');
        assert.equal(after.config, before.config, 'config.php as before the update');
        assert.deepEqual(after.rows, before.rows, 'every row as before the update (the later change is gone, as announced)');
        assert.equal(after.files, before.files, 'user files untouched');
        assert.deepEqual(after.entries, before.entries, 'nothing of ncupd left in the root');
        // The install root itself keeps its owner: the updater's code snapshot was made by root, and
        // once put back whole it left the root root's, so the next updater run failed (found by npm run bench).
        const ownerAfter = rootOwner();
        assert.deepEqual([ownerAfter.uid, ownerAfter.gid, ownerAfter.mode], [ownerBefore.uid, ownerBefore.gid, ownerBefore.mode], 'owner and mode of the install root as before');
        assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), []);
        const again = await rollback(bed);
        assert.equal(again.exitCode, 1, 'a restore is not restored again');
        assert.match(again.stdout + again.stderr, /NCUPD_NO_SNAPSHOT/);
      } finally {
        await bed.close();
      }
    });
  }

  it('undoes a restore that fails in the window: the instance stays on the new version, whole', async () => {
    const bed = await makeBed();
    try {
      assert.equal(parseJson<RunSummary>((await bed.now(['--json'])).stdout).result, 'updated');
      const afterUpdate = await stateOf(bed);
      // Fault injection (tests only): the restore fails after config and database were put back.
      const done = await runNcupd(['rollback', '--instance', 'cloud', '--yes', '--config', join(bed.work, 'config.yaml')], { env: { NCUPD_FAULT: 'stage:restore:after=throw' }, timeoutMs: 300_000 });
      assert.equal(done.exitCode, 7, done.stdout + done.stderr);
      assert.match(done.stdout, /cloud: rolled-back .*failed-stage=restore/);
      const now = await stateOf(bed);
      assert.equal(now.code, afterUpdate.code, 'the new code is back');
      assert.equal(now.config, afterUpdate.config);
      assert.deepEqual(now.rows, afterUpdate.rows, 'the database as after the update');
      assert.equal((await status(bed)).version, '33.0.6.1');
      assert.equal((await status(bed)).maintenance, false);
      assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), []);
    } finally {
      await bed.close();
    }
  });

  it('refuses a damaged snapshot before the window, changing nothing', async () => {
    const bed = await makeBed();
    try {
      const update = await bed.now(['--json']);
      const summary = parseJson<RunSummary>(update.stdout);
      assert.equal(summary.result, 'updated');
      const afterUpdate = await stateOf(bed);
      const dump = join(bed.stateDir, 'snapshots', 'cloud', summary.txid, 'database');
      const file = readdirSync(dump).find((f) => f !== 'manifest.json')!;
      writeFileSync(join(dump, file), 'damaged');
      const done = await rollback(bed, ['--yes']);
      assert.equal(done.exitCode, 1, done.stdout + done.stderr);
      assert.match(done.stdout, /cloud: failed .*code=NCUPD_SNAPSHOT_INVALID/);
      const now = await stateOf(bed);
      assert.equal(now.code, afterUpdate.code);
      assert.deepEqual(now.rows, afterUpdate.rows);
      assert.equal((await status(bed)).version, '33.0.6.1');
      assert.equal((await status(bed)).maintenance, false);
    } finally {
      await bed.close();
    }
  });
});
