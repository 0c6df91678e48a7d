// SQLite: the online backup API through the instance's own PHP (SQLite3::backup), which copies one
// consistent read snapshot of the database, WAL frames included (contract pitfall 20: WAL mode),
// and restores the same way, into the live file, so SQLite itself keeps WAL and locks right.
import { parseOccJson } from '../../../discovery/occ-json.js';
import type { Host } from '../../../hosts/host.js';
import { checkFiles, readManifest, sealSnapshot } from '../manifest.js';
import type { DatabaseSnapshotMethod, DatabaseTarget } from '../method.js';
import { fail, LONG_MS, PING_FAILURE, RESTORE_FAILURE, runTool, TAKE_FAILURE, VERIFY_FAILURE, withFailure, type Failure } from '../run-tool.js';

const BACKUP_FILE = 'database.sqlite';

// Each script reads its paths from argv and prints one JSON object; errors go to stderr, exit 1.
// Run as root: the snapshot directory is root's. Journal/WAL files SQLite creates as root are
// given to the database file's owner by SQLite itself (os_unix.c, robustFchown).
const PHP_PROLOGUE = `<?php
set_error_handler(function ($no, $message) { throw new ErrorException($message, 0, $no); });
function ncupd_open(string $path, int $flags): SQLite3 {
	$db = new SQLite3($path, $flags);
	$db->enableExceptions(true);
	$db->busyTimeout(30000);
	return $db;
}
// With exceptions on, PHP words SQLITE_FULL (13) from a backup step as "Backup failed: 13, not an
// error": said plainly, so a full disk is reported as one (daemon/engine/disk-full.ts).
function ncupd_backup(SQLite3 $from, SQLite3 $to, string $what): void {
	try {
		if ($from->backup($to)) { return; }
		$why = $to->lastErrorMsg();
	} catch (Exception $e) {
		$why = $e->getMessage();
	}
	if (preg_match('/^Backup failed: 13\\b/', $why) || str_contains($why, 'database or disk is full')) { $why = 'No space left on device (SQLITE_FULL)'; }
	throw new RuntimeException("$what: $why");
}
function ncupd_rows(SQLite3 $db, string $sql): array {
	$rows = [];
	$result = $db->query($sql);
	while (($row = $result->fetchArray(SQLITE3_NUM)) !== false) { $rows[] = (string)$row[0]; }
	return $rows;
}
try {
`;
const PHP_EPILOGUE = `
} catch (Throwable $e) {
	// STDERR is not defined when the script itself comes from stdin.
	file_put_contents('php://stderr', get_class($e) . ': ' . $e->getMessage() . "\\n");
	exit(1);
}
`;

const PING_PHP = `${PHP_PROLOGUE}
	if (!is_file($argv[1])) { throw new RuntimeException("no database file at {$argv[1]}"); }
	$db = ncupd_open($argv[1], SQLITE3_OPEN_READWRITE);
	echo json_encode(['one' => $db->querySingle('SELECT 1')]);
${PHP_EPILOGUE}`;

// Without SQLITE3_OPEN_CREATE: a missing live database is an error, not an empty backup. The copy
// leaves WAL mode so the snapshot is one self-contained file.
const TAKE_PHP = `${PHP_PROLOGUE}
	[, $source, $dest] = $argv;
	if (!is_file($source)) { throw new RuntimeException("no database file at $source"); }
	$src = ncupd_open($source, SQLITE3_OPEN_READWRITE);
	$dst = ncupd_open($dest, SQLITE3_OPEN_READWRITE);
	ncupd_backup($src, $dst, "backup into $dest failed");
	$dst->exec('PRAGMA journal_mode = DELETE');
	$dst->close();
	$src->close();
	clearstatcache();
	echo json_encode(['sqlite' => SQLite3::version()['versionString'], 'uid' => fileowner($source), 'gid' => filegroup($source), 'mode' => sprintf('%o', fileperms($source) & 0777)]);
${PHP_EPILOGUE}`;

const VERIFY_PHP = `${PHP_PROLOGUE}
	$db = ncupd_open($argv[1], SQLITE3_OPEN_READONLY);
	echo json_encode(['integrity' => ncupd_rows($db, 'PRAGMA integrity_check(20)')]);
${PHP_EPILOGUE}`;

// Backup into a WAL database needs equal page sizes; if a VACUUM changed it, the live file leaves
// WAL for the copy and returns to it after. The final checkpoint folds the WAL into the file.
const RESTORE_PHP = `${PHP_PROLOGUE}
	[, $backup, $live] = $argv;
	$src = ncupd_open($backup, SQLITE3_OPEN_READONLY);
	$dst = ncupd_open($live, SQLITE3_OPEN_READWRITE | SQLITE3_OPEN_CREATE);
	$wal = strtolower((string)$dst->querySingle('PRAGMA journal_mode')) === 'wal';
	$resize = $wal && $src->querySingle('PRAGMA page_size') !== $dst->querySingle('PRAGMA page_size');
	if ($resize) { $dst->exec('PRAGMA journal_mode = DELETE'); }
	ncupd_backup($src, $dst, 'backup into the live database failed');
	if ($resize) { $dst->exec('PRAGMA journal_mode = WAL'); }
	if ($wal) { $dst->exec('PRAGMA wal_checkpoint(TRUNCATE)'); }
	$check = ncupd_rows($dst, 'PRAGMA quick_check(20)');
	$dst->close();
	echo json_encode(['check' => $check]);
${PHP_EPILOGUE}`;

function livePath(target: DatabaseTarget, failure: Failure): string {
  if (!target.sqlitePath) throw fail(failure, `no SQLite file for ${target.name} (config.php datadirectory/dbname)`);
  return target.sqlitePath;
}

/** Runs one script with the instance's PHP (script on stdin, paths as arguments) and parses its JSON. */
async function runPhp<T>(host: Host, php: string, script: string, args: readonly string[], failure: Failure, what: string, options: { user?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
  const result = await runTool(host, { file: php, args: ['--', ...args], input: script, ...options }, failure, what);
  const parsed = parseOccJson<T>(result.stdout);
  if (parsed === undefined) throw fail(failure, `${what}: PHP printed no result (${result.stdout.trim().slice(0, 200) || 'nothing'})`);
  return parsed;
}

export const sqliteSnapshotMethod = {
  id: 'sqlite3',
  needsTools: ['php', 'mktemp', 'sha256sum', 'stat', 'chmod', 'chown', 'sync'],

  async ping(host, target, signal) {
    // As the web user: whether Nextcloud itself can open its database.
    await withFailure(PING_FAILURE, () =>
      runPhp(host, target.php, PING_PHP, [livePath(target, PING_FAILURE)], PING_FAILURE, `opening ${target.sqlitePath ?? target.name}`, { user: target.webUser, signal }));
  },

  async take(host, target, dir, signal) {
    const started = Date.now();
    const createdAt = new Date(started).toISOString();
    return withFailure(TAKE_FAILURE, async () => {
      const live = livePath(target, TAKE_FAILURE);
      const path = `${dir}/${BACKUP_FILE}`;
      // SQLite writes into the existing (empty) file and keeps its mode: 0600 from the first byte.
      await host.writeFile(path, '', { mode: 0o600 });
      const taken = await runPhp<{ sqlite: string; uid: number; gid: number; mode: string }>(
        host, target.php, TAKE_PHP, [live, path], TAKE_FAILURE, `backing up ${live}`, { signal, timeoutMs: LONG_MS });
      return sealSnapshot(host, dir, BACKUP_FILE, {
        format: 1, method: 'sqlite3', database: target.name, createdAt, durationMs: Date.now() - started,
        serverVersion: `SQLite ${taken.sqlite}`, tool: 'SQLite3::backup',
        // Verify needs the PHP; restore re-creates owner and mode should the live file be gone.
        extra: { php: target.php, path: live, uid: taken.uid, gid: taken.gid, mode: taken.mode },
      }, signal);
    });
  },

  async verify(host, snapshot, signal) {
    await withFailure(VERIFY_FAILURE, async () => {
      const manifest = await checkFiles(host, snapshot, signal);
      const php = typeof manifest.extra?.php === 'string' ? manifest.extra.php : 'php';
      const path = `${snapshot.dir}/${BACKUP_FILE}`;
      const { integrity } = await runPhp<{ integrity: string[] }>(host, php, VERIFY_PHP, [path], VERIFY_FAILURE, `checking ${path}`, { signal, timeoutMs: LONG_MS });
      if (integrity.join('\n') !== 'ok') throw fail(VERIFY_FAILURE, `PRAGMA integrity_check on ${path}: ${integrity.join('; ')}`);
    });
  },

  async restore(host, target, snapshot, signal) {
    await withFailure(RESTORE_FAILURE, async () => {
      const live = livePath(target, RESTORE_FAILURE);
      const manifest = await readManifest(host, snapshot.dir, RESTORE_FAILURE);
      const before = await host.run({ file: 'stat', args: ['-c', '%u:%g %a', '--', live], reject: false, timeoutMs: 60_000, signal });
      const { check } = await runPhp<{ check: string[] }>(host, target.php, RESTORE_PHP, [`${snapshot.dir}/${BACKUP_FILE}`, live], RESTORE_FAILURE, `restoring ${live}`, { signal, timeoutMs: LONG_MS });
      if (check.join('\n') !== 'ok') throw fail(RESTORE_FAILURE, `PRAGMA quick_check on ${live} after the restore: ${check.join('; ')}`);
      // Written in place, an existing file keeps its owner and mode; one SQLite had to create gets the snapshot's.
      if (before.exitCode !== 0) {
        const { uid, gid, mode } = manifest.extra ?? {};
        if (typeof uid !== 'number' || typeof gid !== 'number' || typeof mode !== 'string') throw fail(RESTORE_FAILURE, `${live} was missing and the manifest does not say its owner and mode`);
        await runTool(host, { file: 'chown', args: [`${uid}:${gid}`, '--', live], signal }, RESTORE_FAILURE, `giving ${live} back to its owner`);
        await runTool(host, { file: 'chmod', args: [mode, '--', live], signal }, RESTORE_FAILURE, `setting the mode of ${live}`);
      }
    });
  },
} satisfies DatabaseSnapshotMethod;
