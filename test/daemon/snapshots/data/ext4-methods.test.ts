// hardlink, appdata and none for real on ext4 (this machine's /tmp), and `auto` there (issue 9).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { appdataDataMethod } from '../../../../daemon/snapshots/data/appdata/index.js';
import { hardlinkDataMethod } from '../../../../daemon/snapshots/data/hardlink/index.js';
import { noneDataMethod } from '../../../../daemon/snapshots/data/none/index.js';
import { planDataSnapshot } from '../../../../daemon/snapshots/data/plan.js';
import { fsTypeOf } from '../../../../daemon/snapshots/data/probe.js';
import { treeHash } from '../../../helpers/tree-hash.js';
import { APPDATA, failingMigration, filesBelow, makeDataDir, targetFor } from './data-scenario.js';

const host = createLocalHost();

describe('data snapshots on ext4: hardlink, appdata, none', function () {
  this.timeout(120_000);
  let base: string;
  let dataDir: string;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ncupd-data-'));
    dataDir = join(base, 'data');
    makeDataDir(dataDir);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('runs on ext4 here (the methods are tested on the filesystem the acceptance names)', async () => {
    assert.equal(await fsTypeOf(host, dataDir), 'ext2/ext3');
  });

  it('auto finds no copy-on-write method on ext4 and takes none, with the reason of each refusal', async () => {
    const plan = await planDataSnapshot(host, targetFor(dataDir), 'auto');
    assert.equal(plan.method.id, 'none');
    assert.deepEqual(Object.keys(plan.refusals).sort(), ['btrfs', 'lvm', 'zfs']);
    assert.match(plan.refusals.btrfs ?? '', /not btrfs/);
  });

  describe('hardlink', () => {
    it('links user files, copies app data and top-level files, and a rollback puts back what a failing migration changed', async () => {
      const before = treeHash(dataDir);
      const filesBefore = filesBelow(dataDir);
      assert.deepEqual(await hardlinkDataMethod.applies(host, targetFor(dataDir)), { ok: true });
      const snapshot = await hardlinkDataMethod.take(host, targetFor(dataDir), '20261127T120000Z-aaaaaa');
      // User files cost a link, not their bytes; what Nextcloud rewrites in place is a real copy.
      assert.equal(statSync(join(snapshot.location, 'admin/files/Photos/cat.jpg')).ino, statSync(join(dataDir, 'admin/files/Photos/cat.jpg')).ino);
      assert.notEqual(statSync(join(snapshot.location, APPDATA, 'theming/logo.svg')).ino, statSync(join(dataDir, APPDATA, 'theming/logo.svg')).ino);
      assert.notEqual(statSync(join(snapshot.location, 'nextcloud.db')).ino, statSync(join(dataDir, 'nextcloud.db')).ino);
      assert.ok(snapshot.bytes > 0);
      assert.equal(statSync(snapshot.location).mode & 0o777, statSync(dataDir).mode & 0o777);

      failingMigration(dataDir);
      const result = await hardlinkDataMethod.restore(host, snapshot);
      assert.equal(result.alreadyDone, false);
      assert.equal(treeHash(dataDir), before);
      assert.equal(readFileSync(join(dataDir, 'nextcloud.db'), 'utf8'), 'SQLite format 3\0 rows before the run');
      for (const file of filesBefore) assert.ok(existsSync(join(dataDir, file)), file);
      assert.equal(readFileSync(join(snapshot.replacedAt, APPDATA, 'preview/2-64-64.png'), 'utf8'), 'new preview');

      assert.equal((await hardlinkDataMethod.restore(host, snapshot)).alreadyDone, true);
      assert.equal(treeHash(dataDir), before);
      await hardlinkDataMethod.remove(host, snapshot);
      assert.equal(treeHash(dataDir), before, 'removing the snapshot leaves the data directory alone');
    });

    it('removing a snapshot that was never restored deletes no user file (only links)', async () => {
      const before = treeHash(dataDir);
      const snapshot = await hardlinkDataMethod.take(host, targetFor(dataDir), '20261127T120000Z-cccccc');
      await hardlinkDataMethod.remove(host, snapshot);
      assert.equal(existsSync(snapshot.location), false);
      assert.equal(treeHash(dataDir), before);
    });

    it('finishes a restore that a crash cut between its two renames', async () => {
      const before = treeHash(dataDir);
      const snapshot = await hardlinkDataMethod.take(host, targetFor(dataDir), '20261127T120000Z-dddddd');
      failingMigration(dataDir);
      await host.run({ file: 'mv', args: ['-T', dataDir, snapshot.replacedAt] });
      await hardlinkDataMethod.restore(host, snapshot);
      assert.equal(treeHash(dataDir), before);
    });

    it('refuses when the snapshot folder would be on another filesystem (hard links cannot cross)', async () => {
      const verdict = await hardlinkDataMethod.applies(host, { ...targetFor(dataDir), home: '/dev/shm/ncupd-elsewhere' });
      assert.equal(verdict.ok, false);
    });
  });

  describe('appdata', () => {
    it('puts back app data only: user files a migration touched are not covered, and none is deleted', async () => {
      const snapshot = await appdataDataMethod.take(host, targetFor(dataDir), '20261127T120000Z-eeeeee');
      const appdataBefore = treeHash(join(dataDir, APPDATA));
      failingMigration(dataDir);
      await appdataDataMethod.restore(host, snapshot);
      assert.equal(treeHash(join(dataDir, APPDATA)), appdataBefore);
      // The top-level database file is not app data: this method leaves it to the database snapshot.
      assert.equal(readFileSync(join(dataDir, 'nextcloud.db'), 'utf8'), 'SQLite format 3\0 rows AFTER migration');
      assert.ok(existsSync(join(dataDir, 'admin/files/Photos/cat.jpg')));
      assert.equal(readFileSync(join(snapshot.replacedAt, 'preview/2-64-64.png'), 'utf8'), 'new preview');
      assert.equal((await appdataDataMethod.restore(host, snapshot)).alreadyDone, true);
    });
  });

  describe('none', () => {
    it('takes nothing and restores nothing', async () => {
      const snapshot = await noneDataMethod.take(host, targetFor(dataDir), '20261127T120000Z-ffffff');
      assert.equal(snapshot.location, '');
      failingMigration(dataDir);
      const after = treeHash(dataDir);
      assert.deepEqual(await noneDataMethod.restore(host, snapshot), { replacedAt: undefined, alreadyDone: true });
      assert.equal(treeHash(dataDir), after);
    });
  });
});
