// PostgreSQL snapshots against the real fixture Nextcloud on a private server with password
// authentication (the machine's server trusts every local login, which would hide a password
// that never arrives): pg_dump's custom format, restored after dropping what the login owns.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { DatabaseSnapshot } from '../../../../daemon/snapshots/database/method.js';
import { databaseMethods } from '../../../../daemon/snapshots/database/registry.js';
import { machineDatabase, privatePostgresServer } from '../../../fixtures/harness/database-server.js';
import { createInstance, type FixtureInstance, type InstanceOptions } from '../../../fixtures/harness/instance.js';
import { psql, startPrivatePostgres, superuserLogin, type PrivatePostgres } from '../../../fixtures/harness/private-postgres.js';
import { buildRelease, type BuiltRelease } from '../../../fixtures/release-builder/build-release.js';
import {
  assertCredentialsHandled, assertLoginRefused, assertPrivateAndClean, assertRoundTrip, forgedSnapshot, makeSnapshotDir,
  recordingHost, removeDirs, tamperedSnapshot, targetOf,
} from './snapshot-fixtures.js';

const method = databaseMethods.pgsql;
const host = createLocalHost();

// Objects a migration might leave behind besides a table: a schema, a view, a sequence, a function, a type.
const EXTRA_OBJECTS = [
  'CREATE SCHEMA ncupd_extra; CREATE TABLE ncupd_extra.t (x int);',
  'CREATE VIEW oc_extra_view AS SELECT uid FROM oc_users; CREATE SEQUENCE oc_extra_seq;',
  "CREATE FUNCTION oc_extra_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'; CREATE TYPE oc_extra_mood AS ENUM ('a');",
  '',
].join('\n');

// Every object outside the system schemas, with its owner, and the public schema's owner and ACL.
const CATALOG = `SELECT 'schema ' || nspname || ' ' || nspowner::regrole || ' ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
UNION ALL SELECT 'rel ' || n.nspname || '.' || relname || ' ' || relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
UNION ALL SELECT 'proc ' || p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
ORDER BY 1;
`;

describe('database snapshot: pgsql', function () {
  this.timeout(300_000);
  let release: BuiltRelease;
  let postgres: PrivatePostgres;
  let main: FixtureInstance;
  let snapshot: DatabaseSnapshot;
  const instances: FixtureInstance[] = [];
  const dirs: string[] = [];
  const instance = async (options: Omit<InstanceOptions, 'release' | 'db'>) => {
    const created = await createInstance({ release, db: 'pgsql', ...options });
    instances.push(created);
    return created;
  };
  const snapshotDir = async () => {
    const dir = await makeSnapshotDir();
    dirs.push(dir);
    return dir;
  };
  const catalog = async (created: FixtureInstance) => (await psql(superuserLogin(postgres), CATALOG, { database: created.database.dbName })).stdout;

  before(async () => {
    [release, postgres] = await Promise.all([buildRelease({ version: '33.0.5' }), startPrivatePostgres()]);
    main = await instance({ server: privatePostgresServer(postgres) });
  });
  after(async () => {
    for (const created of instances) await created.destroy();
    await postgres?.destroy();
    await removeDirs(dirs);
  });

  it('pings with the instance\'s own login', async () => {
    await method.ping(host, await targetOf(main));
  });

  it('round-trips every row and drops every object created since, the public schema kept as it was', async () => {
    assert.ok((await main.dumpDatabase()).filecache?.some((row) => row.name?.includes('📄')), 'the fixture seeded 4-byte names');
    const before = await catalog(main);
    assert.match(before, /schema public pg_database_owner/);
    const recorded = recordingHost(host);
    const login = { host: '127.0.0.1', port: postgres.port, user: main.database.user, password: main.database.password };
    snapshot = await assertRoundTrip(method, recorded, main, await targetOf(main), await snapshotDir(),
      () => psql(login, EXTRA_OBJECTS, { database: main.database.dbName }));
    assert.equal(await catalog(main), before);
    assertCredentialsHandled(recorded, main.database.password);
    assert.deepEqual(readdirSync(snapshot.dir).sort(), ['database.pgdump', 'manifest.json']);
    assertPrivateAndClean(snapshot.dir, [main.database.password]);
    const manifest = JSON.parse(readFileSync(join(snapshot.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.database, main.database.dbName);
    assert.match(String(manifest.serverVersion), /^15\./);
  });

  it('restores again from the same snapshot (a retried rollback)', async () => {
    const rows = await main.dumpDatabase();
    await method.restore(host, await targetOf(main), snapshot);
    assert.deepEqual(await main.dumpDatabase(), rows);
  });

  it('fails verify on a flipped byte and on a file that is no pg_dump archive', async () => {
    const tampered = await tamperedSnapshot(snapshot);
    dirs.push(tampered.dir);
    await assert.rejects(method.verify(host, tampered), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID') && e.stage === 'snapshot');
    const forged = await forgedSnapshot(snapshot, Buffer.from('-- not a custom-format archive\n'));
    dirs.push(forged.dir);
    await assert.rejects(method.verify(host, forged), (e) => isNcupdError(e, 'NCUPD_SNAPSHOT_INVALID'));
  });

  it('fails restore with NCUPD_RESTORE_FAILED when the dump cannot be loaded', async () => {
    const forged = await forgedSnapshot(snapshot, Buffer.from('-- not a custom-format archive\n'));
    dirs.push(forged.dir);
    await assert.rejects(method.restore(host, await targetOf(main), forged), (e) => isNcupdError(e, 'NCUPD_RESTORE_FAILED') && e.stage === 'rollback');
    // A real snapshot puts it right again.
    await method.restore(host, await targetOf(main), snapshot);
    assert.equal((await main.occ(['status', '--output=json'])).exitCode, 0);
  });

  it('a wrong or missing password stops ping and take', async () => {
    await assertLoginRefused(method, host, await targetOf(main), main.database.password);
  });

  it('reaches the machine server through its socket directory', async () => {
    const socket = await instance({ server: machineDatabase('pgsql', '/run/postgresql'), rows: 50 });
    const target = await targetOf(socket);
    assert.equal(target.endpoint.socket, '/run/postgresql');
    await method.ping(host, target);
    await assertRoundTrip(method, host, socket, target, await snapshotDir());
  });
});
