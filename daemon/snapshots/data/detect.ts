// `ncupd check`'s view of storage (issue 9): the filesystem under the data directory and under
// the database's data, the method a run would use, and the cheapest exact one that fits. Read-only.
import type { Host } from '../../hosts/host.js';
import type { DataMethodId, DataTarget } from './method.js';
import { planDataSnapshot, tryApplies, type DataMethodSetting } from './plan.js';
import { mountOf } from './probe.js';
import { dataMethods } from './registry.js';

export type StorageKind = 'btrfs' | 'zfs' | 'lvm' | 'other';

export interface StorageFacts {
  readonly path: string;
  readonly kind: StorageKind;
  /** The filesystem type as the kernel names it (ext4, xfs, btrfs, zfs). */
  readonly fstype: string;
  readonly mount: string;
  readonly source: string;
}

export interface DataSnapshotReport {
  readonly dataDir: StorageFacts | undefined;
  /**
   * SQLite: the database file. A server's data directory is probed when databaseSnapshot.method is
   * btrfs names it (`serverSnapshot` then says whether that snapshot applies); with dumps it is not.
   */
  readonly database: { readonly type: string; readonly where: string; readonly storage: StorageFacts | undefined; readonly coveredByDataSnapshot: boolean;
    readonly serverSnapshot?: { readonly applies: boolean; readonly reason: string | undefined } };
  readonly setting: DataMethodSetting;
  /** What a run would take now; undefined when the configured method is refused (the update would stop). */
  readonly method: DataMethodId | undefined;
  readonly refused: string | undefined;
  /** The cheapest method that snapshots exactly this data directory here. */
  readonly recommended: DataMethodId;
  readonly refusals: Readonly<Partial<Record<DataMethodId, string>>>;
  /** Set when user files or app data would not come back on a rollback. */
  readonly risk: string | undefined;
}

export async function storageOf(host: Host, path: string, signal?: AbortSignal): Promise<StorageFacts | undefined> {
  const mount = await mountOf(host, path, signal);
  if (!mount) return undefined;
  let kind: StorageKind = mount.fstype === 'btrfs' ? 'btrfs' : mount.fstype === 'zfs' ? 'zfs' : 'other';
  if (kind === 'other' && mount.source.startsWith('/dev/')) {
    const lvs = await host.run({ file: 'lvs', args: ['--noheadings', '-o', 'lv_name', '--', mount.source], reject: false, signal }).catch(() => undefined);
    if (lvs?.exitCode === 0) kind = 'lvm';
  }
  return { path, kind, fstype: mount.fstype, mount: mount.target, source: mount.source };
}

/** Cheapest first: copy-on-write (constant time), then a hard-link tree, then app data only. */
const RECOMMENDATION_ORDER: readonly DataMethodId[] = ['btrfs', 'zfs', 'lvm', 'hardlink', 'appdata', 'none'];

export interface DatabaseFacts {
  readonly type: string;
  readonly sqlitePath: string | undefined;
  readonly server: string;
  /** When the database is snapshotted by filesystem: the server's data directory and whether that applies. */
  readonly serverDataDir?: string;
  readonly serverSnapshot?: { readonly applies: boolean; readonly reason: string | undefined };
}

export async function reportDataSnapshot(host: Host, target: DataTarget, setting: DataMethodSetting, database: DatabaseFacts, signal?: AbortSignal): Promise<DataSnapshotReport> {
  const refusals: Partial<Record<DataMethodId, string>> = {};
  let recommended: DataMethodId = 'none';
  for (const id of RECOMMENDATION_ORDER) {
    const reason = await tryApplies(host, dataMethods[id], target, signal);
    if (reason === undefined) {
      recommended = id;
      break;
    }
    refusals[id] = reason;
  }
  let method: DataMethodId | undefined;
  let refused: string | undefined;
  try {
    method = (await planDataSnapshot(host, target, setting, { signal })).method.id;
  } catch (error) {
    refused = error instanceof Error ? (error as { detail?: string }).detail ?? error.message : String(error);
  }
  const chosen = method ? dataMethods[method] : undefined;
  const risk = !chosen ? undefined
    : chosen.id === 'none' ? 'the data directory is not snapshotted: a rollback restores code, config and database, but files a failed migration changed (app data, previews) stay changed'
      : !chosen.coversUserFiles ? 'only app data is snapshotted: user files a failed migration changed stay changed' : undefined;
  const sqliteInside = database.sqlitePath !== undefined && database.sqlitePath.startsWith(`${target.dataDir}/`);
  return {
    dataDir: await storageOf(host, target.dataDir, signal),
    database: {
      type: database.type,
      where: database.sqlitePath ?? database.server,
      storage: database.sqlitePath ? await storageOf(host, database.sqlitePath, signal) : database.serverDataDir ? await storageOf(host, database.serverDataDir, signal) : undefined,
      coveredByDataSnapshot: sqliteInside && chosen !== undefined && chosen.exact,
      ...(database.serverSnapshot ? { serverSnapshot: database.serverSnapshot } : {}),
    },
    setting, method, refused, recommended, refusals, risk,
  };
}

export function reportLines(report: DataSnapshotReport): string[] {
  const storage = (facts: StorageFacts | undefined) => (facts ? `${facts.kind === 'other' ? facts.fstype : facts.kind} (${facts.source} on ${facts.mount})` : 'unknown');
  const lines = [
    `  data directory: ${report.dataDir?.path ?? '?'} on ${storage(report.dataDir)}`,
    `  database: ${report.database.type} at ${report.database.where}${report.database.storage ? ` on ${storage(report.database.storage)}` : ''}${report.database.coveredByDataSnapshot ? ' (inside the data directory: its filesystem snapshot covers it too)' : ''}`,
    `  data snapshot: ${report.method ?? 'REFUSED'} (dataSnapshot.method ${report.setting}); cheapest exact here: ${report.recommended}`,
  ];
  const server = report.database.serverSnapshot;
  if (server) lines.push(`  database snapshot: btrfs snapshot of the server's data directory${server.applies ? '' : ` REFUSED, the update would stop: ${server.reason ?? ''}`}`);
  if (report.refused) lines.push(`  warning: the update would stop: ${report.refused}`);
  for (const [id, reason] of Object.entries(report.refusals)) lines.push(`    ${id}: ${reason}`);
  if (report.risk) lines.push(`  risk: ${report.risk}`);
  return lines;
}
