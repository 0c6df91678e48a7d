// Shared pieces of the database snapshot tests: a DatabaseTarget built from a fixture instance,
// a root-only snapshot directory, the damage a failed migration does, a host that records every
// command, and scans for leaked passwords and loose modes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDbHost } from '../../../../daemon/discovery/dbhost.js';
import { isNcupdError, type NcupdError } from '../../../../daemon/errors/ncupd-error.js';
import type { CommandSpec, Host } from '../../../../daemon/hosts/host.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { DatabaseSnapshot, DatabaseSnapshotMethod, DatabaseTarget } from '../../../../daemon/snapshots/database/method.js';
import type { FixtureInstance } from '../../../fixtures/harness/instance.js';

/** What ncupd's discovery would hand the snapshot method for this instance. */
export async function targetOf(instance: FixtureInstance, overrides: Partial<DatabaseTarget> = {}): Promise<DatabaseTarget> {
  const config = await instance.readConfig();
  const { dbName, user, password, host } = instance.database;
  const sqlite = instance.dbType === 'sqlite3';
  return {
    type: instance.dbType,
    name: dbName,
    endpoint: parseDbHost(host),
    credentials: sqlite ? undefined : { user, password },
    sqlitePath: sqlite ? `${instance.dataDir}/${dbName}.db` : undefined,
    utf8mb4: config['mysql.utf8mb4'] === true,
    tablePrefix: 'oc_',
    php: 'php',
    webUser: instance.webUser,
    ...overrides,
  };
}

/** A snapshot directory as the engine creates it: root-owned, 0700. */
export async function makeSnapshotDir(): Promise<string> {
  const dir = mkdtempSync('/tmp/ncupd-dbsnap-');
  await chmod(dir, 0o700);
  return dir;
}

export function removeDirs(dirs: readonly string[]): Promise<void[]> {
  return Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** The failing migration's effect (release-builder's migrationPhp) plus a table it created and a notification. */
export async function breakDatabase(instance: FixtureInstance): Promise<void> {
  const sql = [
    "UPDATE oc_filecache SET etag = 'broken-33.0.6' WHERE fileid % 3 = 0",
    'DELETE FROM oc_jobs',
    "INSERT INTO oc_appconfig (appid, configkey, configvalue) VALUES ('core', 'last_migration', '33.0.6')",
    'CREATE TABLE oc_ncupd_extra (id INT NOT NULL PRIMARY KEY, note VARCHAR(32))',
    "INSERT INTO oc_ncupd_extra (id, note) VALUES (1, 'created since')",
  ];
  const script = `require "lib/private/bootstrap.php"; $db = nc_db(nc_config()); foreach (json_decode($argv[1], true) as $sql) { $db->exec($sql); }`;
  const result = await instance.php(['-r', script, JSON.stringify(sql)]);
  assert.equal(result.exitCode, 0, `${result.stdout}${result.stderr}`);
  const notify = await instance.occ(['notification:generate', 'admin', 'written after the snapshot']);
  assert.equal(notify.exitCode, 0, `${notify.stdout}${notify.stderr}`);
}

/** Table names in the instance's database, sorted. */
export async function listTables(instance: FixtureInstance): Promise<string[]> {
  const query = {
    sqlite3: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    mysql: 'SHOW TABLES',
    pgsql: "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
  }[instance.dbType];
  const result = await instance.php(['-r', `require "lib/private/bootstrap.php"; echo json_encode(nc_db(nc_config())->query($argv[1])->fetchAll(PDO::FETCH_COLUMN));`, query]);
  assert.equal(result.exitCode, 0, `${result.stdout}${result.stderr}`);
  return (JSON.parse(result.stdout) as string[]).sort();
}

/** Every file in `dir` is 0600 and none holds any of `secrets`. */
export function assertPrivateAndClean(dir: string, secrets: readonly string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    assert.equal(statSync(path).mode & 0o777, 0o600, `${name} is 0600`);
    const content = readFileSync(path);
    for (const secret of secrets) assert.equal(content.includes(secret), false, `${name} holds a password`);
  }
}

/** The error's every printable part (message, hint, causes), for leak scans. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, (current as Partial<NcupdError>).hint ?? '', current.stack ?? '');
    current = current.cause;
  }
  return parts.join('\n');
}

export function assertNoSecret(texts: readonly string[], secrets: readonly string[], what: string): void {
  for (const secret of secrets) {
    for (const text of texts) assert.equal(text.includes(secret), false, `${what} leaks a password`);
  }
}

/** A host that records every command and file write, delegating to `inner`. */
export function recordingHost(inner: Host): Host & { readonly commands: CommandSpec[]; readonly writes: string[] } {
  const commands: CommandSpec[] = [];
  const writes: string[] = [];
  return {
    id: inner.id,
    kind: inner.kind,
    commands,
    writes,
    run: (spec) => (commands.push(spec), inner.run(spec)),
    start: (spec) => (commands.push(spec), inner.start(spec)),
    writeFile: (path, data, options) => (writes.push(path), inner.writeFile(path, data, options)),
    readFile: (path) => inner.readFile(path),
    rename: (from, to) => inner.rename(from, to),
    exists: (path) => inner.exists(path),
    listDir: (path) => inner.listDir(path),
  };
}

/** No password in any argument or environment value; every command masks it; every credential file is gone. */
export function assertCredentialsHandled(host: ReturnType<typeof recordingHost>, password: string): void {
  assert.ok(host.commands.length > 0);
  for (const spec of host.commands) {
    const where = `${spec.file} ${(spec.args ?? []).join(' ')}`;
    assert.ok(!(spec.args ?? []).some((arg) => arg.includes(password)), `password in the arguments of ${where}`);
    assert.ok(!Object.values(spec.env ?? {}).some((value) => value.includes(password)), `password in the environment of ${where}`);
    assert.ok(spec.secrets?.includes(password), `${where} does not mask the password`);
  }
  const credentialFiles = host.writes.filter((written) => /\/ncupd-db\.[^/]+\//.test(written));
  assert.ok(credentialFiles.length > 0, 'the login went through a credential file');
  for (const path of credentialFiles) {
    assert.throws(() => statSync(path), `credential file ${path} was removed`);
    assert.throws(() => statSync(dirname(path)), `its directory ${dirname(path)} was removed`);
  }
}

/** A copy of the snapshot with one byte of its dump flipped; manifest.json untouched. */
export async function tamperedSnapshot(snapshot: DatabaseSnapshot): Promise<DatabaseSnapshot> {
  const file = snapshot.files[0]?.name ?? '';
  const dir = await makeSnapshotDir();
  cpSync(snapshot.dir, dir, { recursive: true });
  const bytes = readFileSync(join(dir, file));
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x20;
  writeFileSync(join(dir, file), bytes);
  return { ...snapshot, dir };
}

/** A copy whose dump is replaced by `bytes` with manifest.json rewritten to match: only the method's own check can tell. */
export async function forgedSnapshot(snapshot: DatabaseSnapshot, bytes: Buffer): Promise<DatabaseSnapshot> {
  const name = snapshot.files[0]?.name ?? '';
  const manifest = JSON.parse(readFileSync(join(snapshot.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const dir = await makeSnapshotDir();
  writeFileSync(join(dir, name), bytes, { mode: 0o600 });
  const files = [{ name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, files }), { mode: 0o600 });
  return { ...snapshot, dir, files };
}

/**
 * take → verify → the failed migration's damage → restore, on one instance: every row comes back
 * and the table created since is gone. Returns the snapshot (its directory is the caller's to remove).
 */
export async function assertRoundTrip(
  method: DatabaseSnapshotMethod, host: Host, instance: FixtureInstance, target: DatabaseTarget, dir: string,
  moreDamage: () => Promise<unknown> = async () => undefined,
): Promise<DatabaseSnapshot> {
  const rows = await instance.dumpDatabase();
  const tables = await listTables(instance);
  const snapshot = await method.take(host, target, dir);
  // Verify knows no login (it reads files only), so it stays out of `host`'s record of credentialed commands.
  await method.verify(createLocalHost('verify'), snapshot);
  await breakDatabase(instance);
  await moreDamage();
  assert.ok((await listTables(instance)).includes('oc_ncupd_extra'));
  assert.notDeepEqual(await instance.dumpDatabase(), rows);
  await method.restore(host, target, snapshot);
  assert.deepEqual(await instance.dumpDatabase(), rows);
  assert.deepEqual(await listTables(instance), tables);
  return snapshot;
}

/**
 * With a wrong and with a missing password, ping fails with NCUPD_DATABASE_UNREACHABLE and take
 * with NCUPD_SNAPSHOT_FAILED, both quoting the server, neither showing a password, and take leaves
 * no manifest (no backup, no update) and no password in the snapshot directory.
 */
export async function assertLoginRefused(method: DatabaseSnapshotMethod, host: Host, target: DatabaseTarget, realPassword: string): Promise<void> {
  const user = target.credentials?.user ?? '';
  for (const password of [`wrong-${randomBytes(9).toString('base64url')}`, '']) {
    const bad = { ...target, credentials: { user, password } };
    const secrets = [realPassword, password].filter((secret) => secret.length > 0);
    const pingError: unknown = await method.ping(host, bad).then(() => undefined, (error: unknown) => error);
    assert.ok(isNcupdError(pingError, 'NCUPD_DATABASE_UNREACHABLE'), `ping with ${password ? 'a wrong' : 'no'} password: ${String(pingError)}`);
    assert.equal(pingError.stage, 'preflight');
    assert.match(pingError.message, /Access denied|password authentication failed|no password supplied/);
    const dir = await makeSnapshotDir();
    try {
      const takeError: unknown = await method.take(host, bad, dir).then(() => undefined, (error: unknown) => error);
      assert.ok(isNcupdError(takeError, 'NCUPD_SNAPSHOT_FAILED'), `take with ${password ? 'a wrong' : 'no'} password: ${String(takeError)}`);
      assertNoSecret([errorText(pingError), errorText(takeError)], secrets, 'the error');
      assert.equal(existsSync(join(dir, 'manifest.json')), false, 'no manifest for a failed snapshot');
      assertPrivateAndClean(dir, secrets);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
