import type { DatabaseSnapshotMethod, DatabaseTarget } from './method.js';
import { mysqlSnapshotMethod } from './mysql/index.js';
import { pgsqlSnapshotMethod } from './pgsql/index.js';
import { sqliteSnapshotMethod } from './sqlite/index.js';

/** Every database snapshot method by the config.php `dbtype` it serves, listed by hand (shared/style.md, point 1). */
export const databaseMethods: Readonly<Record<DatabaseTarget['type'], DatabaseSnapshotMethod>> = Object.freeze({
  sqlite3: sqliteSnapshotMethod,
  mysql: mysqlSnapshotMethod,
  pgsql: pgsqlSnapshotMethod,
});
