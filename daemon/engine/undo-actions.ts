import { readDatabaseCredentials } from '../discovery/read-credentials.js';
import { restoreDatabaseFrom } from './database-snapshot.js';
import { databaseMethods } from '../snapshots/database/registry.js';
import type { DatabaseTarget } from '../snapshots/database/method.js';
import { readDataRecord } from '../snapshots/data/record.js';
import { dataMethods } from '../snapshots/data/registry.js';
import { restoreConfig } from './config-snapshot.js';
import type { RunContext } from './context.js';
import { faultPoint } from './faults.js';
import { setMaintenance } from './occ.js';
import { arg, type UndoAction } from './undo-action.js';

/** The run's database; in recovery rebuilt from the facts, the password read again from config.php (it never is journaled). */
export async function databaseOf(ctx: RunContext): Promise<DatabaseTarget> {
  if (ctx.state.database) return ctx.state.database;
  const known = ctx.state.facts?.database;
  if (!known) throw new Error('the database of this transaction is unknown (no recovery facts)');
  const credentials = known.type === 'sqlite3' ? undefined : await readDatabaseCredentials(ctx.host, ctx.instance);
  if (credentials?.password) ctx.secrets.push(credentials.password);
  ctx.state.database = { ...known, credentials };
  return ctx.state.database;
}

/** The undo steps of the engine's own stages (maintenance, database, config); strategies bring theirs. */
export const coreUndoActions: readonly UndoAction[] = [
  {
    kind: 'maintenance-off',
    run: (ctx) => setMaintenance(ctx.host, ctx.instance, false, { secrets: ctx.secrets }),
  },
  {
    kind: 'restore-config',
    run: (ctx, data) => restoreConfig(ctx.host, `${arg(data, 'dir')}/config`, ctx.instance.path),
  },
  {
    kind: 'restore-database',
    needs: ['database'],
    async run(ctx, data) {
      const target = await databaseOf(ctx);
      if (!databaseMethods[target.type]) throw new Error(`no snapshot method for dbtype ${target.type}`);
      await faultPoint('db-restore:start');
      await restoreDatabaseFrom(ctx.host, ctx.instance, target, arg(data, 'dir'));
    },
  },
  {
    // Idempotent in each method; what it replaces is kept aside, never deleted (issue 9).
    kind: 'restore-data',
    async run(ctx, data) {
      const snapshot = await readDataRecord(ctx.host, arg(data, 'dir'));
      if (!snapshot) return;
      await faultPoint('data-restore:start');
      const result = await dataMethods[snapshot.method].restore(ctx.host, snapshot);
      if (result.replacedAt && !result.alreadyDone) ctx.emit({ type: 'note', message: `data directory restored from the ${snapshot.method} snapshot; what it replaced is kept at ${result.replacedAt}` });
    },
  },
];
