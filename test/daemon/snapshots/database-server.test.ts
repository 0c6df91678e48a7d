// The database by filesystem snapshot (issue 9), for real: a private MariaDB whose data directory
// is a btrfs subvolume on a loop-mounted image. The snapshot is taken under FLUSH TABLES WITH READ
// LOCK held by one client connection; restore stops the server, swaps the subvolume, starts it,
// and the rows are back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { restoreServerSnapshot, serverSnapshotApplies, takeServerSnapshot, type ServerAccess } from '../../../daemon/snapshots/database-server/index.js';
import { uniqueDatabaseSpec } from '../../fixtures/harness/database-spec.js';
import { mountBtrfsOrSkip, type LoopFs } from '../../fixtures/harness/loop-fs.js';
import { createDatabaseWithUser, mariadbSql, rootLogin, startPrivateMariadb, type PrivateMariadb } from '../../fixtures/harness/private-mariadb.js';
import { recordingHost } from './database/snapshot-fixtures.js';
import { createDatabaseWithUser as createPgDatabaseWithUser, psql, startPrivatePostgres, superuserLogin, type PrivatePostgres } from '../../fixtures/harness/private-postgres.js';

describe('database by filesystem snapshot: MariaDB on btrfs (loop-mounted)', function () {
  this.timeout(600_000);
  let fs: LoopFs | undefined;
  let server: PrivateMariadb | undefined;
  let secrets: string | undefined;
  const spec = uniqueDatabaseSpec();
  let access: ServerAccess;

  const rows = async () => (await mariadbSql(rootLogin(server!), 'SELECT id, note FROM notes ORDER BY id;\n', { database: spec.dbName })).stdout.trim();

  before(async function () {
    fs = await mountBtrfsOrSkip(this, 1024);
    server = await startPrivateMariadb({ parentDir: fs.mount, dataSubvolume: true });
    await createDatabaseWithUser(server, spec);
    await mariadbSql(rootLogin(server), 'CREATE TABLE notes (id INT PRIMARY KEY, note VARCHAR(64)) ENGINE=InnoDB;\nINSERT INTO notes VALUES (1, \'before\'), (2, \'before\');\n', { database: spec.dbName });
    // The administrator login in a root-only option file, as /etc/mysql/debian.cnf is on a real host.
    secrets = mkdtempSync(join(tmpdir(), 'ncupd-admin-'));
    const defaults = join(secrets, 'admin.cnf');
    writeFileSync(defaults, `[client]\nuser=root\npassword="${server.rootPassword}"\nprotocol=SOCKET\nsocket=${server.socket}\n`, { mode: 0o600 });
    access = { kind: 'mysql', dataDir: server.dataDir, database: spec.dbName, mysqlDefaultsFile: defaults };
  });
  after(async () => {
    await server?.destroy().catch(() => undefined);
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    await fs?.close();
  });

  it('refuses while the server holds another tenant\'s database, naming it', async () => {
    await mariadbSql(rootLogin(server!), 'CREATE DATABASE other_tenant;\n');
    const verdict = await serverSnapshotApplies(createLocalHost(), access);
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? '' : verdict.reason, /other_tenant/);
    await mariadbSql(rootLogin(server!), 'DROP DATABASE other_tenant;\n');
    assert.deepEqual(await serverSnapshotApplies(createLocalHost(), access), { ok: true });
  });

  it('snapshots under a held read lock, releases it, and a restore (stop, swap, start) brings the rows back', async () => {
    const host = recordingHost(createLocalHost());
    const snapshot = await takeServerSnapshot(host, access, '20261127T150000Z-aaaaaa');
    assert.ok(host.commands.some((c) => c.file === 'mariadb' && typeof c.input === 'string' && c.input.includes('FLUSH TABLES WITH READ LOCK')), 'the lock was taken by a client fed on stdin');
    for (const c of host.commands) assert.ok(!(c.args ?? []).some((a) => a.includes(server!.rootPassword)), `no password in the arguments of ${c.file}`);
    // The lock is gone: writes go through at once.
    await mariadbSql(rootLogin(server!), 'UPDATE notes SET note = \'after\' WHERE id = 1;\nDELETE FROM notes WHERE id = 2;\nINSERT INTO notes VALUES (3, \'after\');\n', { database: spec.dbName });
    assert.equal(await rows(), '1\tafter\n3\tafter');

    await restoreServerSnapshot(createLocalHost(), access.kind, snapshot, { stop: () => server!.stop(), start: () => server!.start() });
    assert.equal(await rows(), '1\tbefore\n2\tbefore', 'the rows as at the snapshot');
  });
});

describe('database by filesystem snapshot: PostgreSQL on btrfs (loop-mounted)', function () {
  this.timeout(600_000);
  let fs: LoopFs | undefined;
  let server: PrivatePostgres | undefined;
  let secrets: string | undefined;
  const spec = uniqueDatabaseSpec();
  let access: ServerAccess;

  const rows = async () => (await psql(superuserLogin(server!), 'SELECT id, note FROM notes ORDER BY id;\n', { database: spec.dbName })).stdout.trim();

  before(async function () {
    fs = await mountBtrfsOrSkip(this, 1024);
    server = await startPrivatePostgres({ parentDir: fs.mount, dataSubvolume: true });
    await createPgDatabaseWithUser(server, spec);
    await psql(superuserLogin(server), 'CREATE TABLE notes (id INT PRIMARY KEY, note TEXT);\nINSERT INTO notes VALUES (1, \'before\'), (2, \'before\');\n', { database: spec.dbName });
    secrets = mkdtempSync(join(tmpdir(), 'ncupd-admin-'));
    const pgpass = join(secrets, 'pgpass');
    writeFileSync(pgpass, `${server.host}:${server.port}:*:${server.superuser}:${server.superuserPassword.replace(/[\\:]/g, (c) => `\\${c}`)}\n`, { mode: 0o600 });
    access = { kind: 'pgsql', dataDir: server.dataDir, database: spec.dbName, pg: { role: server.superuser, host: server.host, port: server.port, passwordFile: pgpass } };
  });
  after(async () => {
    await server?.destroy().catch(() => undefined);
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    await fs?.close();
  });

  it('refuses while the server holds another tenant\'s database, naming it', async () => {
    await psql(superuserLogin(server!), 'CREATE DATABASE other_tenant;\n');
    const verdict = await serverSnapshotApplies(createLocalHost(), access);
    assert.match(verdict.ok ? '' : verdict.reason, /other_tenant/);
    await psql(superuserLogin(server!), 'DROP DATABASE other_tenant;\n');
    assert.deepEqual(await serverSnapshotApplies(createLocalHost(), access), { ok: true });
  });

  it('takes a crash-consistent snapshot of the whole data directory (WAL inside) and a restore brings the rows back', async () => {
    const snapshot = await takeServerSnapshot(createLocalHost(), access, '20261127T150000Z-bbbbbb');
    await psql(superuserLogin(server!), 'UPDATE notes SET note = \'after\' WHERE id = 1;\nDELETE FROM notes WHERE id = 2;\nINSERT INTO notes VALUES (3, \'after\');\n', { database: spec.dbName });
    assert.equal(await rows(), '1|after\n3|after');
    await restoreServerSnapshot(createLocalHost(), access.kind, snapshot, { stop: () => server!.stop(), start: () => server!.start() });
    assert.equal(await rows(), '1|before\n2|before', 'the rows as at the snapshot');
  });
});
