// SQLite snapshots against the real fixture Nextcloud: an online backup through PHP that is
// consistent under WAL (even with a writer holding its transaction open), restored into the live
// file with owner and mode kept.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { DatabaseSnapshot, DatabaseTarget } from '../../../../daemon/snapshots/database/method.js';
import { databaseMethods } from '../../../../daemon/snapshots/database/registry.js';
import { buildRelease, type BuiltRelease } from '../../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../../fixtures/harness/instance.js';
import { breakDatabase, forgedSnapshot, listTables, makeSnapshotDir, removeDirs, tamperedSnapshot, targetOf } from './snapshot-fixtures.js';

const method = databaseMethods.sqlite3;
const host = createLocalHost();

/** Rows of a table in a SQLite file, read as root (the snapshot directory is root's). */
async function subjects(path: string): Promise<string[]> {
  const script = '<?php $db = new SQLite3($argv[1], SQLITE3_OPEN_READONLY); $r = $db->query("SELECT subject FROM oc_notifications ORDER BY notification_id"); $out = []; while ($row = $r->fetchArray(SQLITE3_NUM)) { $out[] = $row[0]; } echo json_encode($out);';
  return JSON.parse((await host.run({ file: 'php', args: ['--', path], input: script })).stdout) as string[];
}

const ownerAndMode = (path: string) => {
  const stat = statSync(path);
  return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o777 };
};

describe('database snapshot: sqlite3', function () {
  this.timeout(300_000);
  let release: BuiltRelease;
  let instance: FixtureInstance;
  let target: DatabaseTarget;
  let rowsBefore: Awaited<ReturnType<FixtureInstance['dumpDatabase']>>;
  let tablesBefore: string[];
  let snapshot: DatabaseSnapshot;
  const dirs: string[] = [];
  const snapshotDir = async () => {
    const dir = await makeSnapshotDir();
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
    instance = await createInstance({ release, db: 'sqlite3' });
    target = await targetOf(instance);
    rowsBefore = await instance.dumpDatabase();
    tablesBefore = await listTables(instance);
  });
  after(async () => {
    await instance?.destroy();
    await removeDirs(dirs);
  });

  it('is registered under its dbtype', () => {
    assert.equal(method.id, 'sqlite3');
  });

  it('pings: the web user can open the database', async () => {
    await method.ping(host, target);
    const missing = { ...target, sqlitePath: `${instance.dataDir}/no-such.db` };
    await assert.rejects(method.ping(host, missing), (e) => isNcupdError(e, 'NCUPD_DATABASE_UNREACHABLE') && e.stage === 'preflight');
    assert.equal(existsSync(missing.sqlitePath), false, 'ping creates no database');
  });

  it('takes a snapshot: one 0600 file and a manifest with its checksum', async () => {
    const dir = await snapshotDir();
    snapshot = await method.take(host, target, dir);
    assert.equal(snapshot.method, 'sqlite3');
    assert.deepEqual(readdirSync(dir).sort(), ['database.sqlite', 'manifest.json']);
    for (const name of readdirSync(dir)) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
    assert.equal(snapshot.files.length, 1);
    assert.equal(snapshot.files[0]?.size, statSync(join(dir, 'database.sqlite')).size);
    // Journal files SQLite opened as root belong to the web user, or Nextcloud could not write any more.
    for (const name of readdirSync(instance.dataDir).filter((entry) => entry.startsWith(`${target.name}.db`))) {
      assert.equal(statSync(join(instance.dataDir, name)).uid, statSync(target.sqlitePath ?? '').uid, `${name} owner`);
    }
    await method.verify(host, snapshot);
  });

  it('restores every row, and tables created since are gone, keeping owner and mode', async () => {
    const live = target.sqlitePath ?? '';
    const before = ownerAndMode(live);
    await breakDatabase(instance);
    assert.ok((await listTables(instance)).includes('oc_ncupd_extra'));
    assert.notDeepEqual(await instance.dumpDatabase(), rowsBefore);
    await method.restore(host, target, snapshot);
    assert.deepEqual(await instance.dumpDatabase(), rowsBefore);
    assert.deepEqual(await listTables(instance), tablesBefore);
    assert.deepEqual(ownerAndMode(live), before);
    assert.equal((await instance.occ(['status', '--output=json'])).exitCode, 0, 'Nextcloud works on the restored file');
  });

  it('restores a live file that is gone, with the snapshot\'s owner and mode', async () => {
    const live = target.sqlitePath ?? '';
    const before = ownerAndMode(live);
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${live}${suffix}`, { force: true });
    await method.restore(host, target, snapshot);
    assert.deepEqual(ownerAndMode(live), before);
    assert.deepEqual(await instance.dumpDatabase(), rowsBefore);
  });

  it('copies committed WAL frames while another process holds a write transaction open', async () => {
    const ready = join(await snapshotDir(), 'ready');
    await host.run({ file: 'chmod', args: ['0777', join(ready, '..')] });
    // Commits a row into the WAL (no checkpoint), then opens a transaction with an uncommitted row and waits.
    const writer = host.start({
      file: 'php',
      args: ['-r', [
        'require "lib/private/bootstrap.php"; $db = nc_db(nc_config());',
        '$db->exec("PRAGMA wal_autocheckpoint = 0");',
        '$add = fn ($s) => $db->exec("INSERT INTO oc_notifications (app, user_id, timestamp, subject, message) VALUES (\'t\', \'admin\', 1, \'$s\', \'\')");',
        '$add("committed-in-wal"); $db->beginTransaction(); $add("uncommitted"); touch($argv[1]); sleep(120);',
      ].join(' '), ready],
      cwd: instance.root,
      user: instance.webUser,
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!existsSync(ready) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(existsSync(ready), `the writer did not get ready: ${(await Promise.race([writer.exited, Promise.resolve(undefined)]))?.stderr ?? ''}`);
      assert.ok(statSync(`${target.sqlitePath}-wal`).size > 0, 'the change sits in the WAL');
      const taken = await method.take(host, target, await snapshotDir());
      await method.verify(host, taken);
      const copied = await subjects(join(taken.dir, 'database.sqlite'));
      assert.ok(copied.includes('committed-in-wal'), 'committed WAL frames are in the snapshot');
      assert.ok(!copied.includes('uncommitted'), 'an open transaction is not');
    } finally {
      await writer.stop(2000);
    }
  });

  it('fails verify on a flipped byte and on a copy that is not a database', async () => {
    const tampered = await tamperedSnapshot(snapshot);
    dirs.push(tampered.dir);
    await assert.rejects(method.verify(host, tampered), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID'));
    const forged = await forgedSnapshot(snapshot, Buffer.alloc(8192, 'x'));
    dirs.push(forged.dir);
    await assert.rejects(method.verify(host, forged), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID'));
    writeFileSync(join(forged.dir, 'manifest.json'), '{"format": 1}');
    await assert.rejects(method.verify(host, forged), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID'));
  });

  it('fails take with NCUPD_SNAPSHOT_FAILED when the database file is missing', async () => {
    const missing = { ...target, sqlitePath: `${instance.dataDir}/no-such.db` };
    await assert.rejects(method.take(host, missing, await snapshotDir()), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_FAILED') && e.stage === 'snapshot');
    assert.equal(existsSync(missing.sqlitePath), false, 'take creates no database');
  });

  it('stops at once when cancelled, with NCUPD_COMMAND_ABORTED rather than a snapshot error', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(method.take(host, target, await snapshotDir(), controller.signal), (e) => isNcupdError(e, 'NCUPD_COMMAND_ABORTED'));
  });
});
