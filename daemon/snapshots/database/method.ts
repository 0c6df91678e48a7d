import type { DbEndpoint } from '../../discovery/dbhost.js';
import type { DatabaseCredentials } from '../../discovery/read-credentials.js';
import type { Host } from '../../hosts/host.js';

/** The database of one instance, as config.php names it. */
export interface DatabaseTarget {
  readonly type: 'sqlite3' | 'mysql' | 'pgsql';
  readonly name: string;
  readonly endpoint: DbEndpoint;
  /** Absent for SQLite. */
  readonly credentials: DatabaseCredentials | undefined;
  /** `<datadirectory>/<dbname>.db` for SQLite. */
  readonly sqlitePath: string | undefined;
  /** config.php `mysql.utf8mb4`: dump and restore with utf8mb4. */
  readonly utf8mb4: boolean;
  readonly tablePrefix: string;
  /** The instance's PHP and web user (SQLite is backed up through PHP's SQLite3 online backup). */
  readonly php: string;
  readonly webUser: string;
}

export interface SnapshotFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/** What a database snapshot consists of; written as manifest.json beside the files. */
export interface DatabaseSnapshot {
  readonly method: DatabaseTarget['type'];
  /** Folder on the target host holding the dump and manifest.json (root, 0700; files 0600). */
  readonly dir: string;
  readonly files: readonly SnapshotFile[];
  readonly createdAt: string;
  readonly durationMs: number;
}

/** The Snapshot seam for databases (shared/design.md): one implementation per dbtype, in its own folder. */
export interface DatabaseSnapshotMethod {
  readonly id: DatabaseTarget['type'];
  /** Programs the method runs on the target host. */
  readonly needsTools: readonly string[];
  /** Connects with the instance's own credentials; throws NCUPD_DATABASE_UNREACHABLE with the server's words. */
  ping(host: Host, target: DatabaseTarget, signal?: AbortSignal): Promise<void>;
  /** Takes a consistent snapshot into `dir` (created 0700 by the caller) and writes manifest.json. */
  take(host: Host, target: DatabaseTarget, dir: string, signal?: AbortSignal): Promise<DatabaseSnapshot>;
  /** Re-reads the files against the manifest and checks the dump is complete; throws NCUPD_SNAPSHOT_INVALID. */
  verify(host: Host, snapshot: DatabaseSnapshot, signal?: AbortSignal): Promise<void>;
  /** Puts the database back exactly as in the snapshot: rows, and tables created since are gone. */
  restore(host: Host, target: DatabaseTarget, snapshot: DatabaseSnapshot, signal?: AbortSignal): Promise<void>;
}
