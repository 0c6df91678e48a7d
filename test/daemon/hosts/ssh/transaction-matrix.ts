// The update transaction's end-to-end cases (test/daemon/engine/transaction-cases.ts) run over SSH
// for every strategy and database (issue 6: "success, each rollback case, and refusal cases behave
// exactly as locally"). The target is given by `reach`, so the same matrix runs against the
// loopback sshd (transaction-matrix.test.ts) and against any other test host that can serve one.
import type { Host } from '../../../../daemon/hosts/host.js';
import type { DbType } from '../../../fixtures/harness/instance.js';
import { FULL_TIER } from '../../../helpers/tier.js';
import { makeBed, type Bed, type BedOptions } from '../../engine/transaction-bed.js';
import { assertRolledBack, assertUpdated, checkDryRun, checkLockedRefused, checkWrongPasswordRefused, fullRollbackMatrix, recordBefore, type RollbackCase, type StrategyId } from '../../engine/transaction-cases.js';
import { makeGitBed } from '../../../strategies/git/git-bed.js';
import assert from 'node:assert/strict';

export type SshOption = NonNullable<BedOptions['ssh']>;

/** How the matrix reaches its target: the bed's `host.ssh` keys and a Host to inspect the target with. */
export interface MatrixTarget {
  readonly ssh: SshOption;
  readonly host: Host;
}

export interface MatrixOptions {
  readonly databases?: readonly DbType[];
  readonly strategies?: readonly StrategyId[];
  /** Cases that run in the default tier too (by title); the rest only in the full tier. */
  readonly quick?: readonly string[];
}

export const MATRIX_DATABASES: readonly DbType[] = ['sqlite3', 'mysql', 'pgsql'];
export const MATRIX_STRATEGIES: readonly StrategyId[] = ['archive', 'updater', 'git'];

/** A bed for `strategy` (a git checkout for `git`), reached over SSH. */
export async function strategyBed(strategy: StrategyId, db: DbType, ssh: SshOption, faults: BedOptions['faults'] = []): Promise<Bed> {
  if (strategy === 'git') return makeGitBed({ db, target: { faults }, remote: { ssh } });
  return makeBed({ db, strategy, faults, ssh });
}

export function successTitle(db: DbType, strategy: StrategyId): string {
  return `updates on ${db} with the ${strategy} strategy`;
}

export function rollbackTitle({ db, strategy, fault }: RollbackCase): string {
  return `rolls back ${fault.what} on ${db} (${strategy}): code, config, rows and files exactly as before`;
}

export const WRONG_PASSWORD_TITLE = 'refuses before any change when the database password is wrong (password authentication, not trust)';
export const LOCKED_TITLE = 'refuses a second transaction on the same instance, naming the running one';
export function dryRunTitle(strategy: StrategyId): string {
  return `stops before the window with --dry-run, changing nothing (${strategy})`;
}

/** Defines the matrix's tests in the current describe block; `reach` is called once the target is up (in a before hook). */
export function defineTransactionMatrix(reach: () => MatrixTarget, options: MatrixOptions = {}): void {
  const databases = options.databases ?? MATRIX_DATABASES;
  const strategies = options.strategies ?? MATRIX_STRATEGIES;
  const quick = new Set(options.quick ?? []);
  const test = (title: string) => (FULL_TIER || quick.has(title) ? it : it.skip);

  for (const db of databases) {
    for (const strategy of strategies) {
      test(successTitle(db, strategy))(successTitle(db, strategy), async () => {
        const target = reach();
        const bed = await strategyBed(strategy, db, target.ssh);
        try {
          const before = await recordBefore(bed, target.host);
          const summary = await assertUpdated(bed, target.host, await bed.now(['--json']), before);
          if (strategy !== 'git') {
            // The verified archive reached the target over SFTP into the run's private folder (checked there).
            const copy = `${bed.instance.root}/../.ncupd-cloud/${summary.txid}/download/nextcloud-33.0.6.zip`;
            assert.ok(await target.host.exists(copy), 'the archive copy is in the run folder on the target');
          }
        } finally {
          await bed.close();
        }
      });
    }
  }

  for (const rollback of fullRollbackMatrix(databases, strategies)) {
    test(rollbackTitle(rollback))(rollbackTitle(rollback), async () => {
      const target = reach();
      const bed = await strategyBed(rollback.strategy, rollback.db, target.ssh, [...rollback.fault.faults]);
      try {
        const before = await recordBefore(bed, target.host);
        await assertRolledBack(bed, target.host, await bed.now(['--json']), before, rollback);
      } finally {
        await bed.close();
      }
    });
  }

  for (const strategy of strategies) {
    test(dryRunTitle(strategy))(dryRunTitle(strategy), async () => {
      const target = reach();
      const bed = await strategyBed(strategy, 'sqlite3', target.ssh);
      try {
        await checkDryRun(bed, target.host);
      } finally {
        await bed.close();
      }
    });
  }

  test(LOCKED_TITLE)(LOCKED_TITLE, async () => {
    const bed = await makeBed({ ssh: reach().ssh });
    try {
      await checkLockedRefused(bed);
    } finally {
      await bed.close();
    }
  });

  test(WRONG_PASSWORD_TITLE)(WRONG_PASSWORD_TITLE, async () => {
    const target = reach();
    await checkWrongPasswordRefused((bedOptions) => makeBed({ ...bedOptions, ssh: target.ssh }));
  });
}
