import type { DbType } from '../fixtures/harness/instance.js';
import type { ReleaseFault } from '../fixtures/release-builder/release-options.js';

export type Strategy = 'archive' | 'updater';
export type Action = 'kill' | 'throw';

/**
 * One case of the crash-safety matrix: the faults armed in the `ncupd now` run, then in each
 * `ncupd recover` run (a final recover without faults always follows), on one database and strategy.
 */
export interface FaultCase {
  readonly id: string;
  readonly db: DbType;
  readonly strategy: Strategy;
  /** The injection point this case is about (the table's first column). */
  readonly point: string;
  readonly action: Action;
  /** NCUPD_FAULT of the `ncupd now` run. */
  readonly run: string;
  /** NCUPD_FAULT of recover runs before the last, clean one (a kill during recovery). */
  readonly recoverFaults: readonly string[];
  /** A release fault that makes the run roll back by itself (for points inside the rollback). */
  readonly release: readonly ReleaseFault[];
  /** Which point must have fired for the case to count (the last armed one). */
  readonly mustFire: readonly string[];
  /** config.php values of the fixture (a migration held long enough to be cut in its middle). */
  readonly instanceConfig?: Readonly<Record<string, unknown>>;
}

const BEFORE_WINDOW = ['stage:discover:after', 'stage:download:after', 'stage:stage:after', 'stage:preflight:after'];
const WINDOW_START = ['stage:maintenance-on:before', 'stage:maintenance-on:after', 'stage:wait-cron:after', 'db-dump:written', 'stage:snapshot:after'];
const STRATEGY_POINTS: Record<Strategy, string[]> = {
  archive: ['carry:moved', 'swap:between', 'swap:done'],
  updater: ['code-snapshot:copied', 'updater:before'],
};
const WINDOW_END = ['stage:apply:after', 'upgrade:running', 'stage:upgrade:after', 'stage:checks:after', 'stage:maintenance-off:before', 'stage:maintenance-off:after', 'stage:final-probe:after'];

/** Points inside the rollback itself (reached after a failing migration). */
function rollbackPoints(db: DbType, strategy: Strategy): string[] {
  const database = db === 'sqlite3' ? ['db-restore:start'] : ['db-restore:dropped'];
  const code = strategy === 'archive'
    ? ['undo:swap-back:before', 'swap-back:between', 'undo:move-back:after', 'undo:remove-release-config:after']
    : ['restore-code:aside', 'undo:restore-updater-code:after'];
  return ['rollback:start', 'undo:restore-config:after', 'undo:restore-database:before', ...database, 'undo:restore-database:after', ...code, 'undo:maintenance-off:before'];
}

export function forwardPoints(strategy: Strategy): string[] {
  return [...BEFORE_WINDOW, ...WINDOW_START, ...STRATEGY_POINTS[strategy], ...WINDOW_END];
}

function slug(text: string): string {
  return text.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
}

/** The whole matrix: every point x kill/throw x database x strategy, as far as each applies. */
export function allCases(dbs: readonly DbType[] = ['sqlite3', 'mysql', 'pgsql'], strategies: readonly Strategy[] = ['archive', 'updater']): FaultCase[] {
  const cases: FaultCase[] = [];
  for (const db of dbs) {
    for (const strategy of strategies) {
      const base = { db, strategy };
      for (const point of forwardPoints(strategy)) {
        // Before the window nothing of the instance is touched: the database makes no difference there.
        if (db !== 'sqlite3' && BEFORE_WINDOW.includes(point)) continue;
        for (const action of ['kill', 'throw'] as const) {
          cases.push({ ...base, id: slug(`${db}-${strategy}-${point}-${action}`), point, action, run: `${point}=${action}`, recoverFaults: [], release: [], mustFire: [point],
            instanceConfig: point === 'upgrade:running' ? { 'fixture.upgrade.pause.ms': 3000 } : undefined });
        }
      }
      for (const point of rollbackPoints(db, strategy)) {
        for (const action of ['kill', 'throw'] as const) {
          cases.push({ ...base, id: slug(`${db}-${strategy}-rollback-${point}-${action}`), point: `rollback ${point}`, action, run: `${point}=${action}`, recoverFaults: [], release: ['failing-migration'], mustFire: [point] });
        }
      }
      // Recovery killed in its own rollback, then run again: it must finish.
      for (const point of ['db-restore:start', 'undo:restore-config:after', strategy === 'archive' ? 'swap-back:between' : 'restore-code:aside']) {
        cases.push({ ...base, id: slug(`${db}-${strategy}-recovery-${point}-kill`), point: `recovery ${point}`, action: 'kill', run: 'stage:upgrade:after=kill', recoverFaults: [`${point}=kill`], release: [], mustFire: ['stage:upgrade:after', point] });
      }
    }
  }
  return cases;
}

/** The sample `npm test` runs: a kill and a throw in each part of the transaction, and a kill during recovery. */
export const SAMPLE_IDS = [
  'sqlite3-archive-stage-stage-after-kill',
  'sqlite3-archive-db-dump-written-kill',
  'sqlite3-archive-swap-between-kill',
  'sqlite3-archive-upgrade-running-kill',
  'sqlite3-archive-stage-checks-after-kill',
  'sqlite3-archive-rollback-db-restore-start-throw',
  'sqlite3-updater-updater-before-kill',
  'sqlite3-updater-rollback-restore-code-aside-kill',
  'mysql-archive-rollback-db-restore-dropped-kill',
  'mysql-archive-recovery-db-restore-start-kill',
];
