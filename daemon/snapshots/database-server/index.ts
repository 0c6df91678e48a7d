// The database by filesystem snapshot instead of a dump (issue 9): where the database server's
// own data directory is a btrfs subvolume and the server holds no database but this instance's,
// a read-only snapshot of that subvolume is the database snapshot, in constant time. Restore
// stops the server, swaps the subvolume back (the current one kept aside) and starts it.
// Chosen by databaseSnapshot.method btrfs; daemon/engine/database-snapshot.ts wires it in.
import type { Host } from '../../hosts/host.js';
import { btrfsDataMethod } from '../data/btrfs/index.js';
import type { Applicability, DataSnapshot, DataTarget } from '../data/method.js';
import { dataTargetOf } from '../data/target.js';
import { fail, QUICK_MS, RESTORE_FAILURE, runTool, TAKE_FAILURE } from '../database/run-tool.js';

export type ServerKind = 'mysql' | 'pgsql';

/** How ncupd reaches the server as an administrator: MariaDB needs RELOAD (FTWRL) and SHOW DATABASES. */
export interface ServerAccess {
  readonly kind: ServerKind;
  /** The server's own data directory (MariaDB `datadir`, PostgreSQL `data_directory`, WAL inside it). */
  readonly dataDir: string;
  /** The instance's database: the only one the server may hold besides system databases. */
  readonly database: string;
  /** MariaDB: a root-only client option file with an administrator login (for example /etc/mysql/debian.cnf). */
  readonly mysqlDefaultsFile?: string;
  /**
   * PostgreSQL: how psql reaches the server to list its databases, for example peer auth as the
   * server's OS user `{ role: 'postgres', osUser: 'postgres', host: '/run/postgresql', port: 5432 }`,
   * or a root-only pgpass file (PGPASSFILE names the file; the password never travels in arguments).
   */
  readonly pg?: { readonly role: string; readonly host: string; readonly port: number; readonly osUser?: string; readonly passwordFile?: string };
}

/** Stops and starts the server around a restore (systemctl, or a test harness's own control). */
export interface ServerControl {
  stop(): Promise<void>;
  start(): Promise<void>;
}

export function commandControl(host: Host, stop: readonly string[], start: readonly string[]): ServerControl {
  const run = async (command: readonly string[], what: string) => {
    await runTool(host, { file: command[0]!, args: command.slice(1), timeoutMs: 300_000 }, RESTORE_FAILURE, what);
  };
  return { stop: () => run(stop, 'stopping the database server'), start: () => run(start, 'starting the database server') };
}

const SYSTEM_DATABASES: Readonly<Record<ServerKind, readonly string[]>> = {
  mysql: ['information_schema', 'performance_schema', 'mysql', 'sys'],
  pgsql: ['postgres', 'template0', 'template1'],
};

function mysqlClient(access: ServerAccess, extra: readonly string[]): { file: string; args: string[] } {
  if (!access.mysqlDefaultsFile) throw fail(TAKE_FAILURE, 'a MariaDB server snapshot needs an administrator option file (FLUSH TABLES WITH READ LOCK needs RELOAD)');
  return { file: 'mariadb', args: [`--defaults-file=${access.mysqlDefaultsFile}`, '--batch', '--skip-column-names', '--connect-timeout=10', ...extra] };
}

async function mysqlQuery(host: Host, access: ServerAccess, sql: string, what: string, signal?: AbortSignal): Promise<string[]> {
  const result = await runTool(host, { ...mysqlClient(access, []), input: sql, signal }, TAKE_FAILURE, what);
  return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

async function databasesOn(host: Host, access: ServerAccess, signal?: AbortSignal): Promise<string[]> {
  if (access.kind === 'mysql') return mysqlQuery(host, access, 'SHOW DATABASES;\n', 'listing the server\'s databases', signal);
  const pg = access.pg;
  if (!pg) throw fail(TAKE_FAILURE, 'a PostgreSQL server snapshot needs the server\'s connection (pg)');
  const result = await runTool(host, { file: 'psql', args: ['-X', '-w', '-h', pg.host, '-p', String(pg.port), '-U', pg.role, '-d', 'postgres', '-Atq', '-v', 'ON_ERROR_STOP=1'],
    ...(pg.osUser ? { user: pg.osUser } : {}), env: pg.passwordFile ? { PGPASSFILE: pg.passwordFile } : {}, input: 'SELECT datname FROM pg_database;\n', signal }, TAKE_FAILURE, 'listing the server\'s databases');
  return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

function serverTarget(access: ServerAccess): DataTarget {
  return dataTargetOf({ name: `db-${access.database}`, path: '/nonexistent-install-root' }, { dataDirectory: access.dataDir, instanceId: '' });
}

/**
 * Applies only when restoring the server's data directory rolls back nothing but this instance:
 * the server holds no other database, and its data directory is the root of its own subvolume.
 */
export async function serverSnapshotApplies(host: Host, access: ServerAccess, signal?: AbortSignal): Promise<Applicability> {
  const others = (await databasesOn(host, access, signal)).filter((name) => name !== access.database && !SYSTEM_DATABASES[access.kind].includes(name));
  if (others.length > 0) return { ok: false, reason: `the server also holds ${others.join(', ')}: restoring its data directory would roll those back too` };
  return btrfsDataMethod.applies(host, serverTarget(access), signal);
}

/**
 * MariaDB: FLUSH TABLES WITH READ LOCK held on one connection (a client process fed by stdin,
 * the login in the option file, never in arguments) while the snapshot is taken; the holding
 * connection is then killed, which releases the lock. InnoDB keeps writing in the background
 * under the lock; the snapshot is atomic, so that is crash recovery's job on restore.
 * PostgreSQL: a crash-consistent snapshot of the whole data directory, WAL included.
 */
export async function takeServerSnapshot(host: Host, access: ServerAccess, txid: string, signal?: AbortSignal): Promise<DataSnapshot> {
  const verdict = await serverSnapshotApplies(host, access, signal);
  if (!verdict.ok) throw fail(TAKE_FAILURE, `no database snapshot by filesystem: ${verdict.reason}`);
  if (access.kind === 'pgsql') return btrfsDataMethod.take(host, serverTarget(access), txid, signal);
  const tag = `ncupd_lock_${txid.replace(/[^0-9A-Za-z]/g, '_')}`;
  const holder = host.start({ ...mysqlClient(access, []), input: `FLUSH TABLES WITH READ LOCK;\nSELECT SLEEP(3600) AS ${tag};\n` });
  const findHolder = `SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3600) AS ${tag}%';\n`;
  let holderId: string | undefined;
  try {
    const deadline = Date.now() + QUICK_MS;
    while (holderId === undefined) {
      const exited = await Promise.race([holder.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 200))]);
      if (exited) throw fail(TAKE_FAILURE, `FLUSH TABLES WITH READ LOCK failed: ${exited.stderr.trim() || `exit ${exited.exitCode}`}`);
      holderId = (await mysqlQuery(host, access, findHolder, 'checking that the read lock is held', signal))[0];
      if (holderId === undefined && Date.now() > deadline) throw fail(TAKE_FAILURE, 'FLUSH TABLES WITH READ LOCK did not get the lock within a minute (a long query holds tables)');
    }
    const snapshot = await btrfsDataMethod.take(host, serverTarget(access), txid, signal);
    // The lock must still have been held when the snapshot was taken.
    const still = await mysqlQuery(host, access, findHolder, 'checking that the read lock was held throughout', signal);
    if (still[0] !== holderId) throw fail(TAKE_FAILURE, 'the connection holding the read lock ended before the snapshot was taken');
    return snapshot;
  } finally {
    if (holderId !== undefined) await mysqlQuery(host, access, `KILL ${Number(holderId)};\n`, 'releasing the read lock').catch(() => undefined);
    await holder.stop(5000);
  }
}

/** Stop, swap the subvolume back (the current one kept aside), start. Idempotent like the btrfs method. */
export async function restoreServerSnapshot(host: Host, kind: ServerKind, snapshot: DataSnapshot, control: ServerControl, signal?: AbortSignal): Promise<string | undefined> {
  await control.stop();
  const result = await btrfsDataMethod.restore(host, snapshot, signal);
  // A crash-consistent copy carries the postmaster.pid of the server that was running when it was
  // taken. The server is stopped now, so it is stale; were its pid reused, PostgreSQL (and pg_ctl)
  // would take it for a running postmaster and refuse to start.
  if (kind === 'pgsql') await runTool(host, { file: 'rm', args: ['-f', '--', `${snapshot.dataDir}/postmaster.pid`], signal }, RESTORE_FAILURE, 'removing the stale postmaster.pid');
  await control.start();
  return result.replacedAt;
}
