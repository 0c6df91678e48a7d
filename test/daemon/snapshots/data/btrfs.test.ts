// The btrfs method for real, on a loop-mounted btrfs image (issue 9): a read-only snapshot of the
// data directory's subvolume, and a rollback that swaps subvolumes without copying.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { btrfsDataMethod } from '../../../../daemon/snapshots/data/btrfs/index.js';
import type { DataSnapshot } from '../../../../daemon/snapshots/data/method.js';
import { planDataSnapshot } from '../../../../daemon/snapshots/data/plan.js';
import { makeSubvolume, mountBtrfsOrSkip, type LoopFs } from '../../../fixtures/harness/loop-fs.js';
import { treeHash } from '../../../helpers/tree-hash.js';
import { buildRelease } from '../../../fixtures/release-builder/build-release.js';
import { createInstance } from '../../../fixtures/harness/instance.js';
import { dataTargetOf } from '../../../../daemon/snapshots/data/target.js';
import { APPDATA, failingMigration, filesBelow, makeDataDir, targetFor } from './data-scenario.js';

const host = createLocalHost();
const method = btrfsDataMethod;

describe('data snapshot: btrfs (real, loop-mounted btrfs)', function () {
  this.timeout(300_000);
  let fs: LoopFs | undefined;
  let dataDir: string;

  before(async function () {
    fs = await mountBtrfsOrSkip(this, 256);
    dataDir = join(fs.mount, 'srv', 'data');
    mkdirSync(dataDir, { recursive: true });
    makeDataDir(dataDir);
    await makeSubvolume(dataDir);
  });
  after(async () => {
    // Subvolumes inside the image go with it: unmount and detach, even after a failure.
    await fs?.close();
  });

  it('refuses a data directory that is only a folder inside a larger subvolume, and says why', async () => {
    const folder = join(fs!.mount, 'srv', 'plain-folder');
    mkdirSync(folder, { recursive: true });
    const verdict = await method.applies(host, targetFor(folder));
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.reason, /not the root of its own/);
  });

  it('refuses a data directory on ext4 (the machine\'s /tmp)', async () => {
    const verdict = await method.applies(host, targetFor('/tmp'));
    assert.equal(verdict.ok, false);
  });

  it('refuses a data directory that is the mount point itself (a swap by rename cannot work there)', async () => {
    const verdict = await method.applies(host, targetFor(fs!.mount));
    assert.equal(verdict.ok, false);
  });

  it('applies to a data directory that is its own subvolume; auto picks it; a configured btrfs on a plain folder stops the update', async () => {
    assert.deepEqual(await method.applies(host, targetFor(dataDir)), { ok: true });
    assert.equal((await planDataSnapshot(host, targetFor(dataDir), 'auto')).method.id, 'btrfs');
    await assert.rejects(planDataSnapshot(host, targetFor(join(fs!.mount, 'srv', 'plain-folder')), 'btrfs'), (e) => isNcupdError(e, 'NCUPD_DATA_SNAPSHOT_REFUSED'));
  });

  it('snapshots, and a rollback puts back every file a failing migration changed, keeping the changed tree aside', async () => {
    const before = treeHash(dataDir);
    const filesBefore = filesBelow(dataDir);
    const snapshot: DataSnapshot = await method.take(host, targetFor(dataDir), '20261127T120000Z-aaaaaa');
    assert.equal(snapshot.method, 'btrfs');
    assert.ok(snapshot.durationMs >= 0);
    const ro = await host.run({ file: 'btrfs', args: ['property', 'get', '-ts', snapshot.location, 'ro'] });
    assert.match(ro.stdout, /ro=true/);

    failingMigration(dataDir);
    assert.notEqual(treeHash(dataDir), before);

    const result = await method.restore(host, snapshot);
    assert.equal(result.alreadyDone, false);
    assert.equal(treeHash(dataDir), before, 'the data directory is exactly as before the run');
    assert.equal(readFileSync(join(dataDir, APPDATA, 'theming/logo.svg'), 'utf8'), '<svg>old logo</svg>');
    // The restored data directory is a writable subvolume again, with the old owner and mode.
    assert.equal(statSync(dataDir).ino, 256);
    assert.match((await host.run({ file: 'btrfs', args: ['property', 'get', '-ts', dataDir, 'ro'] })).stdout, /ro=false/);
    // Nothing is deleted: what the migration left is kept aside, every file of before is back.
    assert.equal(readFileSync(join(snapshot.replacedAt, APPDATA, 'preview/2-64-64.png'), 'utf8'), 'new preview');
    for (const file of filesBefore) assert.ok(existsSync(join(dataDir, file)), file);

    // Idempotent: recovery may run it again after a crash just after it.
    const again = await method.restore(host, snapshot);
    assert.equal(again.alreadyDone, true);
    assert.equal(treeHash(dataDir), before);

    await method.remove(host, snapshot);
    assert.equal(existsSync(snapshot.location), false);
    assert.ok(existsSync(snapshot.replacedAt), 'retention never removes what a restore put aside');
  });

  it('finishes a restore that a crash cut between moving the live subvolume aside and putting the snapshot in place', async () => {
    const before = treeHash(dataDir);
    const snapshot = await method.take(host, targetFor(dataDir), '20261127T130000Z-bbbbbb');
    failingMigration(dataDir);
    await host.run({ file: 'mv', args: ['-T', dataDir, snapshot.replacedAt] });
    await method.restore(host, snapshot);
    assert.equal(treeHash(dataDir), before);
    assert.ok(existsSync(join(snapshot.replacedAt, APPDATA, 'preview/2-64-64.png')));
  });

  it('covers a SQLite database inside the data directory: the snapshot alone brings every row back (no dump involved)', async () => {
    const release = await buildRelease({ version: '33.0.5' });
    const instance = await createInstance({ release, db: 'sqlite3', dataOutside: true, baseDir: fs!.mount, rows: 300 });
    try {
      await makeSubvolume(instance.dataDir);
      const rowsBefore = await instance.dumpDatabase();
      const target = dataTargetOf({ name: 'cloud', path: instance.root }, { dataDirectory: instance.dataDir, instanceId: instance.instanceId });
      assert.deepEqual(await method.applies(host, target), { ok: true });
      const snapshot = await method.take(host, target, '20261127T140000Z-cccccc');
      // Writes after the snapshot, through Nextcloud's own PHP (SQLite in WAL mode).
      assert.equal((await instance.occ(['config:app:set', 'core', 'written_after_snapshot', '--value=yes'])).exitCode, 0);
      assert.notDeepEqual(await instance.dumpDatabase(), rowsBefore);
      await method.restore(host, snapshot);
      assert.deepEqual(await instance.dumpDatabase(), rowsBefore, 'every row as at the snapshot');
      assert.equal((await instance.occ(['config:app:get', 'core', 'written_after_snapshot'])).stdout.trim(), '');
    } finally {
      await instance.destroy();
    }
  });
});
