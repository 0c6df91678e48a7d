// The database snapshot of a run, either way the instance is configured (issue 9): a dump by the
// dbtype's method (default), or a btrfs snapshot of the database server's data directory. One
// place decides by what the snapshot folder holds, so the undo step, `ncupd rollback` and
// retention never need to know which was configured when the snapshot was taken.
import type { InstanceConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import { loadSnapshot } from '../snapshots/database/manifest.js';
import type { DatabaseTarget } from '../snapshots/database/method.js';
import { databaseMethods } from '../snapshots/database/registry.js';
import { btrfsDataMethod } from '../snapshots/data/btrfs/index.js';
import type { DataSnapshot } from '../snapshots/data/method.js';
import { readDataRecord, writeDataRecord } from '../snapshots/data/record.js';
import { commandControl, restoreServerSnapshot, serverSnapshotApplies, takeServerSnapshot, type ServerAccess } from '../snapshots/database-server/index.js';
import { exists } from './host-fs.js';

export const SERVER_RECORD = 'server.json';

/** How ncupd reaches the database server for a filesystem snapshot; undefined when the instance uses dumps. */
export function serverAccessOf(instance: InstanceConfig, target: DatabaseTarget): ServerAccess | undefined {
  const config = instance.databaseSnapshot;
  if (config.method === 'dump') return undefined;
  if (target.type === 'sqlite3') {
    throw new NcupdError('NCUPD_DATA_SNAPSHOT_REFUSED', { instance: instance.name, stage: 'preflight',
      detail: 'databaseSnapshot.method btrfs is for a database server; a SQLite database inside the data directory is covered by a btrfs data snapshot (dataSnapshot.method)' });
  }
  return { kind: target.type, dataDir: config.serverDataDir!, database: target.name, mysqlDefaultsFile: config.adminDefaultsFile, pg: config.pgAdmin };
}

/** Preflight: a filesystem snapshot of the server must apply now, or the update does not start. */
export async function checkServerSnapshot(host: Host, instance: InstanceConfig, target: DatabaseTarget, signal?: AbortSignal): Promise<void> {
  const access = serverAccessOf(instance, target);
  if (!access) return;
  const verdict = await serverSnapshotApplies(host, access, signal);
  if (!verdict.ok) {
    throw new NcupdError('NCUPD_DATA_SNAPSHOT_REFUSED', { instance: instance.name, stage: 'preflight', detail: `databaseSnapshot.method btrfs does not apply to ${access.dataDir}: ${verdict.reason}` });
  }
}

/** Takes the run's database snapshot into `<dir>/database` (created by the caller); returns a line for the stage detail. */
export async function takeDatabaseSnapshot(host: Host, instance: InstanceConfig, target: DatabaseTarget, dir: string, txid: string, signal?: AbortSignal): Promise<{ readonly detail: string; readonly files: readonly string[] }> {
  const access = serverAccessOf(instance, target);
  if (access) {
    const snapshot = await takeServerSnapshot(host, access, txid, signal);
    await writeDataRecord(host, `${dir}/database`, snapshot, SERVER_RECORD);
    return { detail: `database: btrfs snapshot of ${access.dataDir} in ${snapshot.durationMs} ms`, files: [SERVER_RECORD] };
  }
  const method = databaseMethods[target.type]!;
  const snapshot = await method.take(host, target, `${dir}/database`, signal);
  await method.verify(host, snapshot, signal);
  return { detail: `${snapshot.files.reduce((n, f) => n + f.size, 0)} bytes in ${snapshot.durationMs} ms`, files: snapshot.files.map((f) => f.name) };
}

async function serverSnapshotIn(host: Host, dir: string): Promise<DataSnapshot | undefined> {
  return readDataRecord(host, `${dir}/database`, SERVER_RECORD);
}

/** Before a restore: the snapshot in `dir` exists and (a dump) matches its manifest. */
export async function verifyDatabaseSnapshot(host: Host, target: DatabaseTarget, dir: string, signal?: AbortSignal): Promise<void> {
  const server = await serverSnapshotIn(host, dir);
  if (server) {
    if (!(await exists(host, server.location))) throw new NcupdError('NCUPD_SNAPSHOT_INVALID', { stage: 'preflight', detail: `the database server snapshot ${server.location} is gone` });
    return;
  }
  const snapshot = await loadSnapshot(host, `${dir}/database`);
  if (snapshot.method !== target.type) throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'preflight', detail: `the snapshot holds a ${snapshot.method} database, the instance uses ${target.type}` });
  await databaseMethods[target.type]!.verify(host, snapshot, signal);
}

/** Puts the database back from `dir`: the dump, or the server's data directory (stop, swap, start). */
export async function restoreDatabaseFrom(host: Host, instance: InstanceConfig, target: DatabaseTarget, dir: string, signal?: AbortSignal): Promise<void> {
  const server = await serverSnapshotIn(host, dir);
  if (server) {
    const { stopCommand, startCommand } = instance.databaseSnapshot;
    if (!stopCommand || !startCommand) throw new NcupdError('NCUPD_RESTORE_FAILED', { instance: instance.name, detail: 'the database was snapshotted by filesystem, but databaseSnapshot.stopCommand/startCommand are not configured now' });
    await restoreServerSnapshot(host, target.type === 'pgsql' ? 'pgsql' : 'mysql', server, commandControl(host, stopCommand, startCommand), signal);
    return;
  }
  await databaseMethods[target.type]!.restore(host, target, await loadSnapshot(host, `${dir}/database`), signal);
}

/** Retention: drops a server snapshot with its tool (a read-only subvolume); dumps go with the folder. */
export async function pruneDatabaseSnapshot(host: Host, dir: string): Promise<void> {
  const server = await serverSnapshotIn(host, dir);
  if (server) await btrfsDataMethod.remove(host, server);
}
