// The end-to-end cases of the update transaction (issue 4) as data and assertions, shared by the
// local suite (transaction.test.ts) and the SSH suite (hosts/ssh/transaction-matrix.test.ts), so
// "behaves exactly as locally" (issue 6) is checked by the same assertions, not by copies.
// Everything on the instance's host is inspected through `host` (the local host, or an SSH host to
// the target), so the same checks hold for a target that is not this machine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import type { Host } from '../../../daemon/hosts/host.js';
import type { DbType } from '../../fixtures/harness/instance.js';
import { privatePostgresServer } from '../../fixtures/harness/database-server.js';
import { psql, startPrivatePostgres, superuserLogin } from '../../fixtures/harness/private-postgres.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson, type runNcupd } from '../../helpers/run-ncupd.js';
import { findLeaks } from '../../helpers/secret-scan.js';
import { acquireLock } from '../../../daemon/engine/lock.js';
import { listUnfinishedTransactions } from '../../../daemon/engine/journal.js';
import type { Bed, BedOptions } from './transaction-bed.js';

export type StrategyId = 'archive' | 'updater' | 'git';
type NowResult = Awaited<ReturnType<typeof runNcupd>>;
export type InstanceSnapshot = Awaited<ReturnType<typeof instanceState>>;

/** The faults every strategy and database must roll back from, with the stage and code the run names. */
export const ROLLBACK_FAULTS = [
  { what: 'a failing migration', faults: ['failing-migration'] as const, stage: 'upgrade', code: 'NCUPD_UPGRADE_FAILED' },
  { what: 'a failing integrity check', faults: ['broken-integrity'] as const, stage: 'checks', code: 'NCUPD_CHECK_FAILED' },
  { what: 'status.php answering 500', faults: ['status-500'] as const, stage: 'checks', code: 'NCUPD_CHECK_FAILED' },
  { what: 'a final probe failing after maintenance is off', faults: ['broken-login-page'] as const, stage: 'final-probe', code: 'NCUPD_FINAL_PROBE_FAILED' },
] as const;
export type RollbackFault = (typeof ROLLBACK_FAULTS)[number];

export interface RollbackCase {
  readonly db: DbType;
  readonly strategy: StrategyId;
  readonly fault: RollbackFault;
}

/**
 * Whether `strategy` can meet `fault` at all: a git checkout's version.php says channel "git", for
 * which Nextcloud skips integrity:check-core (contract 3), so a broken signature never shows there;
 * the git strategy proves its code by HEAD and submodule commits instead (verifyApplied).
 */
export function faultApplies(strategy: StrategyId, fault: RollbackFault): boolean {
  return !(strategy === 'git' && fault.faults.some((f) => f === 'broken-integrity'));
}

/** Every fault on every database with every strategy (where the fault applies to it). */
export function fullRollbackMatrix(databases: readonly DbType[], strategies: readonly StrategyId[]): RollbackCase[] {
  return databases.flatMap((db) => strategies.flatMap((strategy) => ROLLBACK_FAULTS.filter((fault) => faultApplies(strategy, fault)).map((fault) => ({ db, strategy, fault }))));
}

export function stateOf(bed: Bed): Promise<InstanceSnapshot> {
  return instanceState(bed.instance);
}

export async function status(bed: Bed): Promise<{ version: string; maintenance: boolean; needsDbUpgrade: boolean }> {
  const result = await bed.instance.occ(['status', '--output=json']);
  return JSON.parse(result.stdout) as { version: string; maintenance: boolean; needsDbUpgrade: boolean };
}

/** How often the bed's reload hook ran (it runs where the instance is, so it is read there). */
export async function reloads(bed: Bed, host: Host): Promise<number> {
  const log = join(bed.work, 'reload.log');
  return (await host.exists(log)) ? (await host.readFile(log)).toString('utf8').trim().split('\n').length : 0;
}

/**
 * The instance back on 33.0.5 exactly as `before`: code, config, rows and user files equal, maintenance
 * off, no upgrade pending, and the transaction closed.
 */
export async function assertWholeOnOld(bed: Bed, before: InstanceSnapshot): Promise<void> {
  const after = await stateOf(bed);
  assert.equal(after.code, before.code, 'code tree hash equal');
  assert.equal(after.config, before.config, 'config.php equal');
  assert.deepEqual(after.rows, before.rows, 'every database row equal');
  assert.equal(after.files, before.files, 'every user file equal');
  const now = await status(bed);
  assert.deepEqual([now.version, now.maintenance, now.needsDbUpgrade], ['33.0.5.1', false, false]);
  assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), [], 'the transaction is closed');
}

export interface Before {
  readonly state: InstanceSnapshot;
  readonly entries: readonly string[];
}

export async function recordBefore(bed: Bed, host: Host): Promise<Before> {
  return { state: await stateOf(bed), entries: (await host.listDir(bed.instance.root)).sort() };
}

/** A successful `ncupd now`: new version, users' files and rows untouched, nothing left in the root, snapshots root-only. */
export async function assertUpdated(bed: Bed, host: Host, result: NowResult, before: Before): Promise<RunSummary> {
  assert.equal(result.exitCode, 0, result.stdout + result.stderr);
  const summary = parseJson<RunSummary>(result.stdout);
  assert.equal(summary.result, 'updated', summary.message);
  assert.ok(summary.windowMs !== undefined && summary.windowMs > 0, 'the window was measured');
  const after = await status(bed);
  assert.equal(after.version, '33.0.6.1');
  assert.equal(after.maintenance, false);
  assert.equal(after.needsDbUpgrade, false);
  const state = await stateOf(bed);
  assert.equal(state.files, before.state.files, 'every user file unchanged');
  assert.deepEqual(state.rows.filecache, before.state.rows.filecache, 'every user row unchanged');
  assert.deepEqual(state.rows.users, before.state.rows.users);
  assert.deepEqual(state.rows.notifications, before.state.rows.notifications);
  assert.deepEqual((await host.listDir(bed.instance.root)).sort(), before.entries, 'nothing ncupd creates is left in the root');
  const work = join(bed.instance.root, '..', '.ncupd-cloud');
  const peek = await host.run({ file: 'ls', args: [work], user: bed.instance.webUser, reject: false });
  assert.notEqual(peek.exitCode, 0, 'the old tree is not readable by the web server user');
  assert.ok((await reloads(bed, host)) >= 1, 'the reload hook ran after the swap');
  const snapshotDir = join(bed.stateDir, 'snapshots', 'cloud', summary.txid);
  // Root only: the snapshot folder is root 0700 and the dump 0600; the config copy keeps the instance's
  // owner and modes (so a restore is exact) but sits behind that folder.
  const modes = await host.run({ file: 'find', args: [snapshotDir, '-printf', '%y %m %u %P\\n'] });
  for (const line of modes.stdout.trim().split('\n')) {
    const [type, mode, owner, path = ''] = line.split(' ');
    if (path === '' || path === 'database') assert.deepEqual([type, mode, owner], ['d', '700', 'root'], line);
    if (path.startsWith('database/')) assert.deepEqual([mode, owner], ['600', 'root'], line);
  }
  assert.ok(modes.stdout.includes('database/'), `the database snapshot is there:\n${modes.stdout}`);
  const peekConfig = await host.run({ file: 'cat', args: [join(snapshotDir, 'config', 'config.php')], user: bed.instance.webUser, reject: false });
  assert.notEqual(peekConfig.exitCode, 0, 'the web user cannot read the config snapshot');
  assert.deepEqual(findLeaks([result.stdout, result.stderr], [bed.instance.database.password]), []);
  return summary;
}

/** A rolled-back run: the fault's stage and code, and code, config, rows and files exactly as before. */
export async function assertRolledBack(bed: Bed, host: Host, result: NowResult, before: Before, rollback: RollbackCase): Promise<RunSummary> {
  const summary = parseJson<RunSummary>(result.stdout);
  assert.equal(summary.result, 'rolled-back', JSON.stringify(summary));
  assert.equal(result.exitCode, 7);
  assert.equal(summary.failedStage, rollback.fault.stage);
  assert.equal(summary.errorCode, rollback.fault.code);
  const after = await stateOf(bed);
  assert.equal(after.code, before.state.code, 'code tree hash equal');
  assert.equal(after.config, before.state.config, 'config.php equal');
  assert.deepEqual(after.rows, before.state.rows, 'every database row equal');
  assert.equal(after.files, before.state.files, 'every user file equal');
  const now = await status(bed);
  assert.equal(now.maintenance, false);
  assert.equal(now.version, '33.0.5.1');
  if (rollback.strategy !== 'updater') assert.ok((await reloads(bed, host)) >= 2, 'the reload hook ran after the swap and after the swap back');
  assert.deepEqual(findLeaks([result.stdout, result.stderr], [bed.instance.database.password]), []);
  return summary;
}

/**
 * A PostgreSQL server with password authentication (not trust) whose password for the instance's
 * user was changed by the DBA: the run refuses before any change, and says no password.
 */
export async function checkWrongPasswordRefused(makeBed: (options: BedOptions) => Promise<Bed>): Promise<void> {
  const postgres = await startPrivatePostgres();
  try {
    const bed = await makeBed({ db: 'pgsql', server: privatePostgresServer(postgres) });
    try {
      const before = await stateOf(bed);
      await psql(superuserLogin(postgres), `ALTER ROLE ${bed.instance.database.user} PASSWORD 'changed-by-the-dba'`);
      const result = await bed.now(['--json']);
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'failed', JSON.stringify(summary));
      assert.ok(['NCUPD_INSTANCE_UNREADABLE', 'NCUPD_DATABASE_UNREACHABLE'].includes(summary.errorCode ?? ''), summary.errorCode);
      assert.deepEqual(findLeaks([result.stdout, result.stderr], [bed.instance.database.password, 'changed-by-the-dba']), []);
      await psql(superuserLogin(postgres), `ALTER ROLE ${bed.instance.database.user} PASSWORD '${bed.instance.database.password}'`);
      const after = await stateOf(bed);
      assert.equal(after.code, before.code);
      assert.equal(after.config, before.config);
      assert.deepEqual(after.rows, before.rows);
      assert.equal((await status(bed)).maintenance, false);
    } finally {
      await bed.close();
    }
  } finally {
    await postgres.destroy();
  }
}

/** --dry-run stops before the window and changes nothing: the run's folder beside the root is left empty. */
export async function checkDryRun(bed: Bed, host: Host): Promise<void> {
  const before = await stateOf(bed);
  const result = await bed.now(['--dry-run']);
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /dry run: stopped before the maintenance window/);
  assert.match(result.stdout, /✔ preflight/);
  assert.doesNotMatch(result.stdout, /maintenance-on/);
  assert.deepEqual(await stateOf(bed), before);
  const work = join(bed.instance.root, '..', '.ncupd-cloud');
  // git/ is ncupd's own repository of the git strategy, kept for the next run (strategies/git/README.md).
  const found = (await host.run({ file: 'find', args: [work, '-mindepth', '2', '-maxdepth', '3'], reject: false })).stdout.trim();
  const left = found.split('\n').filter((path) => path !== '' && !path.startsWith(`${work}/git/`)).join('\n');
  assert.equal(left, '', 'the staged release (and any copy of the archive) was removed again');
}

/** A second transaction on the same instance is refused, naming the running one (the lock is this machine's). */
export async function checkLockedRefused(bed: Bed): Promise<void> {
  const lock = await acquireLock(bed.stateDir, 'cloud', { txid: '20261127T000000Z-abcdef', command: 'ncupd now' });
  try {
    const result = await bed.now(['--json']);
    assert.equal(result.exitCode, 1);
    const error = parseJson<{ error: { code: string; message: string } }>(result.stdout).error;
    assert.equal(error.code, 'NCUPD_LOCKED');
    assert.match(error.message, /20261127T000000Z-abcdef/);
    assert.match(error.message, new RegExp(`pid ${process.pid}`));
  } finally {
    await lock.release();
  }
}
