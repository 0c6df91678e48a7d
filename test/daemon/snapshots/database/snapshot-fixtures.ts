// Shared pieces of the database snapshot tests: a DatabaseTarget built from a fixture instance,
// a root-only snapshot directory, the damage a failed migration does, a host that records every
// command, and scans for leaked passwords and loose modes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseDbHost } from '../../../../daemon/discovery/dbhost.js';
import type { NcupdError } from '../../../../daemon/errors/ncupd-error.js';
import type { CommandSpec, Host } from '../../../../daemon/hosts/host.js';
import type { DatabaseSnapshot, DatabaseTarget } from '../../../../daemon/snapshots/database/method.js';
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
  const dir = await makeSnapshotDir();
  cpSync(snapshot.dir, dir, { recursive: true });
  const file = snapshot.files[0]?.name ?? '';
  const bytes = readFileSync(join(dir, file));
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x20;
  writeFileSync(join(dir, file), bytes);
  return { ...snapshot, dir };
}

/** A copy whose dump is replaced by `bytes` with manifest.json rewritten to match: only the method's own check can tell. */
export async function forgedSnapshot(snapshot: DatabaseSnapshot, bytes: Buffer): Promise<DatabaseSnapshot> {
  const dir = await makeSnapshotDir();
  const name = snapshot.files[0]?.name ?? '';
  writeFileSync(join(dir, name), bytes, { mode: 0o600 });
  const files = [{ name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }];
  const manifest = JSON.parse(readFileSync(join(snapshot.dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, files }), { mode: 0o600 });
  return { ...snapshot, dir, files };
}
