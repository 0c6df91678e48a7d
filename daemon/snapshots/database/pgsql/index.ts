// PostgreSQL: pg_dump's custom format (one snapshot of the database, contract 7 "Backup"),
// restored by dropping what the instance's login owns now and replaying the dump in one transaction.
import { faultPoint } from '../../../engine/faults.js';
import type { Host } from '../../../hosts/host.js';
import { checkFiles, sealSnapshot } from '../manifest.js';
import type { DatabaseSnapshotMethod, DatabaseTarget } from '../method.js';
import { fail, findProgram, LONG_MS, PING_FAILURE, RESTORE_FAILURE, runTool, TAKE_FAILURE, VERIFY_FAILURE, withFailure, type Failure } from '../run-tool.js';
import { maskingHost, withSecretFile } from '../secret-file.js';

const DUMP_FILE = 'database.pgdump';

function login(target: DatabaseTarget, failure: Failure): { user: string; password: string } {
  if (!target.credentials) throw fail(failure, `no database login for ${target.name} (config.php dbuser/dbpassword)`);
  return target.credentials;
}

/**
 * One .pgpass line (`:` and `\` escaped). Host and port are `*`: the file serves this one
 * command, and a socket directory would otherwise have to match the host field exactly.
 */
function pgpass(target: DatabaseTarget, failure: Failure): string {
  const { user, password } = login(target, failure);
  const field = (value: string): string => {
    if (/[\n\r]/.test(value)) throw fail(failure, 'a database login value with a line break cannot be written into a .pgpass file');
    return value.replace(/[\\:]/g, (c) => `\\${c}`);
  };
  return `*:*:${field(target.name)}:${field(user)}:${field(password)}\n`;
}

/**
 * -h (host or socket directory), -p, -U and -d. The database goes in as a conninfo string, so a
 * name containing `=` cannot be read as connection options.
 */
function connectArgs(target: DatabaseTarget, failure: Failure): string[] {
  const { endpoint } = target;
  const dbname = `dbname='${target.name.replace(/[\\']/g, (c) => `\\${c}`)}'`;
  return ['-h', endpoint.socket ?? endpoint.host, ...(endpoint.port !== undefined ? ['-p', String(endpoint.port)] : []), '-U', login(target, failure).user, '-d', dbname];
}

/** The host with the instance's password masked in every command line, output and error. */
const masked = (host: Host, target: DatabaseTarget): Host => maskingHost(host, target.credentials ? [target.credentials.password] : []);

/**
 * Runs `use` with libpq's environment: the password in a 0600 PGPASSFILE (the variable holds only
 * its path), a bounded connect. Every program also gets -w, so a refused password fails instead of prompting.
 */
function withLogin<T>(host: Host, target: DatabaseTarget, failure: Failure, use: (env: Record<string, string>) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return withSecretFile(host, 'pgpass', pgpass(target, failure), (path) => use({ PGPASSFILE: path, PGCONNECT_TIMEOUT: '10' }), signal);
}

function psqlArgs(target: DatabaseTarget, failure: Failure, extra: readonly string[] = []): string[] {
  return ['-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...connectArgs(target, failure), ...extra];
}

// Everything the login owns outside the system schemas, in one transaction (a DO block is one
// statement): what a failed migration created goes with it. `public` itself stays, because
// pg_dump never recreates it (PostgreSQL 15 gives it to pg_database_owner); objects of
// extensions are left to their extension.
const DROP_OWNED_OBJECTS = String.raw`SET client_min_messages = warning;
DO $ncupd$
DECLARE
  me oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
  r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n
    WHERE n.nspowner = me AND n.nspname <> 'public' AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT n.nspname, c.relname, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
      WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'c' THEN 'TYPE' ELSE 'TABLE' END AS kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relowner = me AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
      AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE', r.kind, r.nspname, r.relname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proowner = me AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.signature);
  END LOOP;
  FOR r IN SELECT n.nspname, t.typname, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END AS kind
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typowner = me AND t.typtype IN ('d', 'e', 'r')
      AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE', r.kind, r.nspname, r.typname);
  END LOOP;
END
$ncupd$;
`;

export const pgsqlSnapshotMethod = {
  id: 'pgsql',
  needsTools: ['pg_dump', 'pg_restore', 'psql', 'mktemp', 'sha256sum', 'stat', 'chmod', 'sync'],

  async ping(unmasked, target, signal) {
    const host = masked(unmasked, target);
    await withFailure(PING_FAILURE, () => withLogin(host, target, PING_FAILURE, (env) =>
      runTool(host, { file: 'psql', args: psqlArgs(target, PING_FAILURE, ['-c', 'SELECT 1']), env, signal }, PING_FAILURE, `connecting to ${target.name}`), signal));
  },

  async take(unmasked, target, dir, signal) {
    const host = masked(unmasked, target);
    const started = Date.now();
    const createdAt = new Date(started).toISOString();
    return withFailure(TAKE_FAILURE, async () => {
      const dump = await findProgram(host, ['pg_dump'], TAKE_FAILURE, signal);
      const path = `${dir}/${DUMP_FILE}`;
      // pg_dump truncates an existing file and keeps its mode: 0600 from the first byte.
      await host.writeFile(path, '', { mode: 0o600 });
      const serverVersion = await withLogin(host, target, TAKE_FAILURE, async (env) => {
        const version = await runTool(host, { file: 'psql', args: psqlArgs(target, TAKE_FAILURE, ['-c', 'SHOW server_version']), env, signal }, TAKE_FAILURE, `connecting to ${target.name}`);
        await runTool(host, {
          file: dump.file,
          // A lock wait bound: with maintenance on nothing should hold an exclusive lock; if something does, fail rather than hang.
          args: ['-Fc', '--no-owner', '--no-privileges', '-w', '--lock-wait-timeout=60s', '-f', path, ...connectArgs(target, TAKE_FAILURE)],
          env, timeoutMs: LONG_MS, signal,
        }, TAKE_FAILURE, `dumping ${target.name}`);
        return version.stdout.trim();
      }, signal);
      return sealSnapshot(host, dir, DUMP_FILE, {
        format: 1, method: 'pgsql', database: target.name, createdAt, durationMs: Date.now() - started, serverVersion, tool: dump.version,
      }, signal);
    });
  },

  async verify(host, snapshot, signal) {
    await withFailure(VERIFY_FAILURE, async () => {
      await checkFiles(host, snapshot, signal);
      // Reads the archive's header and table of contents without a server.
      await runTool(host, { file: 'pg_restore', args: ['--list', '--', `${snapshot.dir}/${DUMP_FILE}`], timeoutMs: LONG_MS, signal }, VERIFY_FAILURE, 'reading the dump\'s table of contents');
    });
  },

  async restore(unmasked, target, snapshot, signal) {
    const host = masked(unmasked, target);
    await withFailure(RESTORE_FAILURE, () => withLogin(host, target, RESTORE_FAILURE, async (env) => {
      await runTool(host, { file: 'psql', args: psqlArgs(target, RESTORE_FAILURE), input: DROP_OWNED_OBJECTS, env, timeoutMs: LONG_MS, signal },
        RESTORE_FAILURE, `dropping what ${target.name} holds now`);
      await faultPoint('db-restore:dropped', signal);
      await runTool(host, {
        file: 'pg_restore',
        args: ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '-w', ...connectArgs(target, RESTORE_FAILURE), '--', `${snapshot.dir}/${DUMP_FILE}`],
        env, timeoutMs: LONG_MS, signal,
      }, RESTORE_FAILURE, `loading ${snapshot.dir}/${DUMP_FILE} into ${target.name}`);
    }, signal));
  },
} satisfies DatabaseSnapshotMethod;
