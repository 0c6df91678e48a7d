// MariaDB snapshots against the real fixture Nextcloud: a single-transaction dump with utf8mb4
// honoured, restored by dropping every table and loading the dump; the login travels in a 0600
// option file only, and a refused password stops the snapshot.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { DatabaseSnapshot } from '../../../../daemon/snapshots/database/method.js';
import { dropStatements } from '../../../../daemon/snapshots/database/mysql/index.js';
import { databaseMethods } from '../../../../daemon/snapshots/database/registry.js';
import { machineDatabase, privateMariadbServer } from '../../../fixtures/harness/database-server.js';
import { createInstance, type FixtureInstance, type InstanceOptions } from '../../../fixtures/harness/instance.js';
import { startPrivateMariadb, type PrivateMariadb } from '../../../fixtures/harness/private-mariadb.js';
import { buildRelease, type BuiltRelease } from '../../../fixtures/release-builder/build-release.js';
import {
  assertCredentialsHandled, assertLoginRefused, assertPrivateAndClean, assertRoundTrip, forgedSnapshot, makeSnapshotDir,
  recordingHost, removeDirs, tamperedSnapshot, targetOf,
} from './snapshot-fixtures.js';

const method = databaseMethods.mysql;
const host = createLocalHost();
const WIDE = '📄';

describe('database snapshot: mysql', function () {
  this.timeout(300_000);
  let release: BuiltRelease;
  let mariadb: PrivateMariadb;
  let main: FixtureInstance;
  let snapshot: DatabaseSnapshot;
  const instances: FixtureInstance[] = [];
  const dirs: string[] = [];
  const instance = async (options: Omit<InstanceOptions, 'release' | 'db'>) => {
    const created = await createInstance({ release, db: 'mysql', ...options });
    instances.push(created);
    return created;
  };
  const snapshotDir = async () => {
    const dir = await makeSnapshotDir();
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    [release, mariadb] = await Promise.all([buildRelease({ version: '33.0.5' }), startPrivateMariadb()]);
    main = await instance({});
  });
  after(async () => {
    for (const created of instances) await created.destroy();
    await mariadb?.destroy();
    await removeDirs(dirs);
  });

  it('pings with the instance\'s own login', async () => {
    await method.ping(host, await targetOf(main));
  });

  it('round-trips every row, 4-byte characters included, and drops the tables created since', async () => {
    const rows = await main.dumpDatabase();
    assert.ok(rows.filecache?.some((row) => row.name?.includes(WIDE)), 'the fixture seeded 4-byte names (utf8mb4)');
    const recorded = recordingHost(host);
    snapshot = await assertRoundTrip(method, recorded, main, await targetOf(main), await snapshotDir());
    assertCredentialsHandled(recorded, main.database.password);
    assert.deepEqual(readdirSync(snapshot.dir).sort(), ['database.sql', 'manifest.json']);
    assertPrivateAndClean(snapshot.dir, [main.database.password]);
    const manifest = JSON.parse(readFileSync(join(snapshot.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.database, main.database.dbName);
    assert.match(String(manifest.serverVersion), /MariaDB/);
    assert.match(readFileSync(join(snapshot.dir, 'database.sql'), 'utf8'), /SET NAMES utf8mb4/);
  });

  it('fails verify on a flipped byte and on a dump cut short', async () => {
    const tampered = await tamperedSnapshot(snapshot);
    dirs.push(tampered.dir);
    await assert.rejects(method.verify(host, tampered), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID') && e.stage === 'snapshot');
    const dump = readFileSync(join(snapshot.dir, 'database.sql'));
    const cut = await forgedSnapshot(snapshot, dump.subarray(0, Math.floor(dump.length / 2)));
    dirs.push(cut.dir);
    await assert.rejects(method.verify(host, cut), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID'));
  });

  it('dumps and restores with utf8 when the instance has no utf8mb4', async () => {
    const narrow = await instance({ utf8mb4: false, rows: 50 });
    const target = await targetOf(narrow);
    assert.equal(target.utf8mb4, false);
    const taken = await assertRoundTrip(method, host, narrow, target, await snapshotDir());
    assert.match(readFileSync(join(taken.dir, 'database.sql'), 'utf8'), /SET NAMES utf8 /);
  });

  it('reaches the server through a Unix socket', async () => {
    const socket = await instance({ server: machineDatabase('mysql', 'localhost:/run/mysqld/mysqld.sock'), rows: 50 });
    const target = await targetOf(socket);
    assert.equal(target.endpoint.socket, '/run/mysqld/mysqld.sock');
    await method.ping(host, target);
    await assertRoundTrip(method, host, socket, target, await snapshotDir());
  });

  it('works with password authentication on a private server, and a wrong or missing password stops it', async () => {
    const guarded = await instance({ server: privateMariadbServer(mariadb), rows: 100 });
    const target = await targetOf(guarded);
    const recorded = recordingHost(host);
    await method.ping(recorded, target);
    await assertRoundTrip(method, recorded, guarded, target, await snapshotDir());
    assertCredentialsHandled(recorded, guarded.database.password);
    await assertLoginRefused(method, host, target, guarded.database.password);
  });

  it('drops tables, views, sequences and routines with foreign key checks off', () => {
    const listing = 'BASE TABLE\toc_a\nVIEW\tv`1\nSEQUENCE\ts\nPROCEDURE\tp\nFUNCTION\tf\nBASE TABLE\tweird\\tname\n';
    assert.equal(dropStatements(listing), [
      'SET FOREIGN_KEY_CHECKS = 0;',
      'DROP VIEW IF EXISTS `v``1`;',
      'DROP TABLE IF EXISTS `oc_a`, `weird\tname`;',
      'DROP SEQUENCE IF EXISTS `s`;',
      'DROP PROCEDURE IF EXISTS `p`;',
      'DROP FUNCTION IF EXISTS `f`;',
      '',
    ].join('\n'));
    assert.equal(dropStatements(''), undefined);
  });
});
