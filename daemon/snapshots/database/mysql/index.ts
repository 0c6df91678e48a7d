// MariaDB/MySQL: one consistent dump in a single transaction (contract 7 "Backup", pitfall 20:
// utf8mb4 honoured), restored by dropping whatever the database holds now and loading the dump.
import type { Host } from '../../../hosts/host.js';
import { checkFiles, sealSnapshot } from '../manifest.js';
import type { DatabaseSnapshotMethod, DatabaseTarget } from '../method.js';
import { faultPoint } from '../../../engine/faults.js';
import { fail, findProgram, LONG_MS, PING_FAILURE, RESTORE_FAILURE, runTool, TAKE_FAILURE, VERIFY_FAILURE, withFailure, type Failure } from '../run-tool.js';
import { maskingHost, withSecretFile } from '../secret-file.js';

const DUMP_FILE = 'database.sql';
// MariaDB's names first; MySQL (and older MariaDB) only have the mysql* ones.
const DUMP_PROGRAMS = ['mariadb-dump', 'mysqldump'];
const CLIENT_PROGRAMS = ['mariadb', 'mysql'];

function login(target: DatabaseTarget, failure: Failure): { user: string; password: string } {
  if (!target.credentials) throw fail(failure, `no database login for ${target.name} (config.php dbuser/dbpassword)`);
  return target.credentials;
}

/** An option-file value in double quotes: `\` and `"` escaped, so any password survives. */
function optionValue(value: string, failure: Failure): string {
  if (/[\n\r]/.test(value)) throw fail(failure, 'a database login value with a line break cannot be written into a MySQL option file');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * `[client]` login for --defaults-file (read instead of ~/.my.cnf and /etc/mysql, so nothing on
 * the host changes who logs in). `localhost` without a socket reaches the default socket, as PHP's
 * mysqlnd does for the same dbhost.
 */
function optionFile(target: DatabaseTarget, failure: Failure): string {
  const { user, password } = login(target, failure);
  const lines = ['[client]', `user=${optionValue(user, failure)}`, `password=${optionValue(password, failure)}`];
  const { endpoint } = target;
  if (endpoint.socket) lines.push('protocol=SOCKET', `socket=${optionValue(endpoint.socket, failure)}`);
  else {
    lines.push(`host=${optionValue(endpoint.host, failure)}`);
    if (endpoint.port !== undefined) lines.push(`port=${endpoint.port}`);
  }
  return `${lines.join('\n')}\n`;
}

const charset = (target: DatabaseTarget): string => (target.utf8mb4 ? 'utf8mb4' : 'utf8');
/** The host with the instance's password masked in every command line, output and error. */
const masked = (host: Host, target: DatabaseTarget): Host => maskingHost(host, target.credentials ? [target.credentials.password] : []);

/** Runs `use` with the path of a 0600 option file holding the instance's login. */
function withLogin<T>(host: Host, target: DatabaseTarget, failure: Failure, use: (optionPath: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return withSecretFile(host, 'client.cnf', optionFile(target, failure), use, signal);
}

/** Client arguments: --defaults-file must come first, the client ignores it anywhere else. */
function clientArgs(optionPath: string, target: DatabaseTarget, extra: readonly string[]): string[] {
  return [`--defaults-file=${optionPath}`, `--default-character-set=${charset(target)}`, '--batch', '--skip-column-names', '--connect-timeout=10', ...extra, '--', target.name];
}

/** Undoes the client's batch-mode escaping of `\`, tab, newline and NUL in a column. */
function unescapeBatch(value: string): string {
  return value.replace(/\\([\\tn0])/g, (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', '0': '\0' })[c] ?? c);
}

const identifier = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

// Everything the dump recreates: tables (and sequences), views, routines. Events are neither dumped nor dropped.
const LIST_OBJECTS = [
  'SELECT table_type, table_name FROM information_schema.tables WHERE table_schema = DATABASE();',
  'SELECT routine_type, routine_name FROM information_schema.routines WHERE routine_schema = DATABASE();',
].join(' ');

/** DROP statements for every listed object, foreign keys off (tables a failed migration created go too). */
export function dropStatements(listing: string): string | undefined {
  const byKind = new Map<string, string[]>();
  for (const line of listing.split('\n')) {
    if (line === '') continue;
    const [type = '', name = ''] = line.split('\t').map(unescapeBatch);
    const kind = type === 'VIEW' ? 'VIEW' : type === 'SEQUENCE' ? 'SEQUENCE' : type === 'PROCEDURE' ? 'PROCEDURE' : type === 'FUNCTION' ? 'FUNCTION' : 'TABLE';
    byKind.set(kind, [...(byKind.get(kind) ?? []), identifier(name)]);
  }
  if (byKind.size === 0) return undefined;
  const statements = ['SET FOREIGN_KEY_CHECKS = 0;'];
  for (const kind of ['VIEW', 'TABLE', 'SEQUENCE'] as const) {
    const names = byKind.get(kind);
    if (names) statements.push(`DROP ${kind} IF EXISTS ${names.join(', ')};`);
  }
  // DROP PROCEDURE/FUNCTION take one name each.
  for (const kind of ['PROCEDURE', 'FUNCTION'] as const) {
    for (const name of byKind.get(kind) ?? []) statements.push(`DROP ${kind} IF EXISTS ${name};`);
  }
  return `${statements.join('\n')}\n`;
}

export const mysqlSnapshotMethod = {
  id: 'mysql',
  // `a|b`: either program; the MariaDB name is preferred when both exist.
  needsTools: ['mariadb-dump|mysqldump', 'mariadb|mysql', 'mktemp', 'sha256sum', 'stat', 'chmod', 'sync', 'tail'],

  async ping(unmasked, target, signal) {
    const host = masked(unmasked, target);
    await withFailure(PING_FAILURE, async () => {
      const client = await findProgram(host, CLIENT_PROGRAMS, PING_FAILURE, signal);
      await withLogin(host, target, PING_FAILURE, (optionPath) =>
        runTool(host, { file: client.file, args: clientArgs(optionPath, target, ['-e', 'SELECT 1']), signal }, PING_FAILURE, `connecting to ${target.name}`), signal);
    });
  },

  async take(unmasked, target, dir, signal) {
    const host = masked(unmasked, target);
    const started = Date.now();
    const createdAt = new Date(started).toISOString();
    return withFailure(TAKE_FAILURE, async () => {
      const dump = await findProgram(host, DUMP_PROGRAMS, TAKE_FAILURE, signal);
      const client = await findProgram(host, CLIENT_PROGRAMS, TAKE_FAILURE, signal);
      const path = `${dir}/${DUMP_FILE}`;
      // The dump tool truncates an existing file and keeps its mode: 0600 from the first byte.
      await host.writeFile(path, '', { mode: 0o600 });
      const serverVersion = await withLogin(host, target, TAKE_FAILURE, async (optionPath) => {
        const version = await runTool(host, { file: client.file, args: clientArgs(optionPath, target, ['-e', 'SELECT VERSION()']), signal }, TAKE_FAILURE, `connecting to ${target.name}`);
        await runTool(host, {
          file: dump.file,
          args: [`--defaults-file=${optionPath}`, '--single-transaction', '--quick', '--hex-blob', '--routines', '--triggers',
            // Tablespaces need the PROCESS privilege, which an application login rarely has, and are not part of one database.
            '--no-tablespaces', `--default-character-set=${charset(target)}`, `--result-file=${path}`, '--', target.name],
          timeoutMs: LONG_MS, signal,
        }, TAKE_FAILURE, `dumping ${target.name}`);
        return version.stdout.trim();
      }, signal);
      return sealSnapshot(host, dir, DUMP_FILE, {
        format: 1, method: 'mysql', database: target.name, createdAt, durationMs: Date.now() - started,
        serverVersion, tool: dump.version, extra: { charset: charset(target) },
      }, signal);
    });
  },

  async verify(host, snapshot, signal) {
    await withFailure(VERIFY_FAILURE, async () => {
      await checkFiles(host, snapshot, signal);
      const path = `${snapshot.dir}/${DUMP_FILE}`;
      const tail = await runTool(host, { file: 'tail', args: ['-c', '512', '--', path], signal }, VERIFY_FAILURE, 'reading the end of the dump');
      const last = tail.stdout.trimEnd().split('\n').pop() ?? '';
      if (!last.startsWith('-- Dump completed')) throw fail(VERIFY_FAILURE, `${path} does not end with "-- Dump completed": the dump is incomplete`);
    });
  },

  async restore(unmasked, target, snapshot, signal) {
    const host = masked(unmasked, target);
    await withFailure(RESTORE_FAILURE, async () => {
      const path = `${snapshot.dir}/${DUMP_FILE}`;
      // The client's `source` takes the rest of the line as the path, unquoted.
      if (/[\n\r\\]/.test(path)) throw fail(RESTORE_FAILURE, `the client cannot source a path with a line break or backslash: ${JSON.stringify(path)}`);
      const client = await findProgram(host, CLIENT_PROGRAMS, RESTORE_FAILURE, signal);
      await withLogin(host, target, RESTORE_FAILURE, async (optionPath) => {
        const run = (extra: string[], what: string, input?: string) =>
          runTool(host, { file: client.file, args: clientArgs(optionPath, target, extra), input, timeoutMs: LONG_MS, signal }, RESTORE_FAILURE, what);
        const listing = await run(['-e', LIST_OBJECTS], `listing the tables of ${target.name}`);
        const drop = dropStatements(listing.stdout);
        if (drop) await run([], `dropping the tables of ${target.name}`, drop);
        await faultPoint('db-restore:dropped', signal);
        // `source` streams the file from disk; the dump sets its own character set and foreign key checks.
        await run(['--max-allowed-packet=1G', '-e', `source ${path}`], `loading ${path} into ${target.name}`);
      }, signal);
    });
  },
} satisfies DatabaseSnapshotMethod;
