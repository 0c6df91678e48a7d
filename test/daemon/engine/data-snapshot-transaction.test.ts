// `ncupd now` with a data snapshot (issue 9), end to end: the fixture instance's data directory
// is a btrfs subvolume on a loop-mounted image, a migration rewrites app data in place and fails,
// and the rollback puts the data directory back with code, config and database.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { makeSubvolume, mountBtrfsOrSkip, type LoopFs } from '../../fixtures/harness/loop-fs.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';
import { treeHash } from '../../helpers/tree-hash.js';
import { filesBelow } from '../snapshots/data/data-scenario.js';
import { makeBed, type Bed } from './transaction-bed.js';

const host = createLocalHost();

describe('ncupd now with a btrfs data snapshot (loop-mounted btrfs)', function () {
  this.timeout(600_000);
  let fs: LoopFs | undefined;
  let bed: Bed | undefined;

  before(async function () {
    fs = await mountBtrfsOrSkip(this, 1024);
  });
  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });
  after(async () => {
    await bed?.close();
    await fs?.close();
  });

  it('rolls back a migration that changed app data: the data directory, SQLite database inside it, code and config exactly as before', async () => {
    bed = await makeBed({ db: 'sqlite3', faults: ['failing-data-migration'], dataOutside: true, instance: { baseDir: fs!.mount },
      instanceConfig: { dataSnapshot: '{ method: btrfs }' } });
    await makeSubvolume(bed.instance.dataDir);
    const appdata = join(bed.instance.dataDir, `appdata_${bed.instance.instanceId}`);
    const before = await instanceState(bed.instance);
    const appdataBefore = treeHash(appdata);
    const filesBefore = filesBelow(bed.instance.dataDir);

    // ncupd check names btrfs under the data directory, and the SQLite file inside it is covered by its snapshot.
    const checked = await runNcupd(['check', '--json', '--config', join(bed.work, 'config.yaml')]);
    const report = parseJson<{ dataSnapshot: { dataDir: { kind: string }; method: string; recommended: string; risk?: string | null; database: { coveredByDataSnapshot: boolean } } }>(checked.stdout).dataSnapshot;
    assert.deepEqual([report.dataDir.kind, report.method, report.recommended, report.risk ?? null, report.database.coveredByDataSnapshot], ['btrfs', 'btrfs', 'btrfs', null, true]);

    const result = await bed.now(['--json']);
    const summary = parseJson<RunSummary>(result.stdout);
    assert.equal(summary.result, 'rolled-back', JSON.stringify(summary));
    assert.equal(summary.failedStage, 'upgrade');
    assert.equal(summary.dataSnapshot?.method, 'btrfs', 'the data snapshot and its cost are recorded');
    assert.ok((summary.dataSnapshot?.ms ?? -1) >= 0);

    assert.equal(readFileSync(join(appdata, 'preview/1-64-64.png'), 'utf8'), 'preview', 'the file the migration rewrote in place is back');
    assert.equal(existsSync(join(appdata, 'theming')), false, 'what the migration added is gone from the live data directory');
    assert.equal(treeHash(appdata), appdataBefore);
    const after = await instanceState(bed.instance);
    assert.equal(after.files, before.files, 'every user file equal');
    assert.deepEqual(after.rows, before.rows, 'every database row equal');
    assert.equal(after.code, before.code);
    assert.equal(after.config, before.config);
    for (const file of filesBefore) assert.ok(existsSync(join(bed.instance.dataDir, file)), `${file} still exists`);

    // The data directory is a subvolume again, and what the failed run left is kept aside, not deleted.
    assert.equal((await host.run({ file: 'stat', args: ['-c', '%i', bed.instance.dataDir] })).stdout.trim(), '256');
    const kept = join(bed.instance.base, '.ncupd-data-cloud', summary.txid, 'data-replaced');
    assert.equal(readFileSync(join(kept, `appdata_${bed.instance.instanceId}`, 'theming/logo.svg'), 'utf8'), '<svg>33.0.6</svg>');
    const status = JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
    assert.deepEqual([status.version, status.maintenance], ['33.0.5.1', false]);
  });

  for (const withData of [false, true]) {
    it(`ncupd rollback days later ${withData ? 'with --with-data puts the data directory back and keeps what users wrote since aside' : 'leaves the data directory alone (files users added stay) and says to run files:scan'}`, async () => {
      bed = await makeBed({ db: 'sqlite3', dataOutside: true, instance: { baseDir: fs!.mount }, instanceConfig: { dataSnapshot: '{ method: btrfs }' } });
      await makeSubvolume(bed.instance.dataDir);
      const filesBefore = (await instanceState(bed.instance)).files;
      const update = await bed.now(['--json']);
      assert.equal(parseJson<RunSummary>(update.stdout).result, 'updated', update.stdout);
      const txid = parseJson<RunSummary>(update.stdout).txid;
      // A user uploads a file after the update.
      const upload = join(bed.instance.dataDir, 'admin/files/uploaded-after-update.txt');
      writeFileSync(upload, 'new work');

      const args = ['rollback', '--instance', 'cloud', '--config', join(bed.work, 'config.yaml'), '--yes', ...(withData ? ['--with-data'] : [])];
      const done = await runNcupd(args, { timeoutMs: 300_000 });
      assert.equal(done.exitCode, 0, done.stdout + done.stderr);
      assert.match(done.stdout, /occ files:scan --all/);
      if (withData) {
        assert.match(done.stdout, /DATA \(--with-data\)/);
        assert.equal(existsSync(upload), false, 'the data directory is as before the update');
        assert.equal((await instanceState(bed.instance)).files, filesBefore);
        const kept = join(bed.instance.base, '.ncupd-data-cloud', txid, 'data-replaced', 'admin/files/uploaded-after-update.txt');
        assert.equal(readFileSync(kept, 'utf8'), 'new work', 'the file users added since is kept aside, not deleted');
      } else {
        assert.match(done.stdout, /DATA: the data directory stays as it is now/);
        assert.equal(readFileSync(upload, 'utf8'), 'new work', 'the file users added since is still in place');
      }
      const status = JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
      assert.deepEqual([status.version, status.maintenance], ['33.0.5.1', false]);
    });
  }

  it('finishes the data restore after ncupd is killed between moving the data directory aside and putting the snapshot back', async () => {
    bed = await makeBed({ db: 'sqlite3', faults: ['failing-data-migration'], dataOutside: true, instance: { baseDir: fs!.mount },
      instanceConfig: { dataSnapshot: '{ method: btrfs }' } });
    await makeSubvolume(bed.instance.dataDir);
    const before = await instanceState(bed.instance);
    const config = join(bed.work, 'config.yaml');
    const killed = await runNcupd(['now', '--config', config], { timeoutMs: 600_000, env: { NCUPD_FAULT: 'data-restore:aside=kill' } });
    assert.notEqual(killed.exitCode, 0);
    assert.equal(existsSync(bed.instance.dataDir), false, 'killed with the data directory moved aside');
    const recovered = await runNcupd(['recover', '--config', config], { timeoutMs: 600_000 });
    assert.equal(recovered.exitCode, 0, recovered.stdout + recovered.stderr);
    const after = await instanceState(bed.instance);
    assert.equal(after.files, before.files, 'every user file back');
    assert.deepEqual(after.rows, before.rows);
    assert.equal(after.code, before.code);
    const status = JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
    assert.deepEqual([status.version, status.maintenance], ['33.0.5.1', false]);
  });
});
