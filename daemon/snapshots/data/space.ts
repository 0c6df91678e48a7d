// Disk-space preflight for data snapshots (issue 9): copies need their bytes, a hard-link tree
// one inode per folder and its metadata, and copy-on-write snapshots headroom, because the blocks
// they hold grow with every block the upgrade changes, and a full btrfs or ZFS fails writes.
import { NcupdError } from '../../errors/ncupd-error.js';
import type { Host } from '../../hosts/host.js';
import { LONG_MS } from './common.js';
import type { DataSnapshotMethod, DataTarget, SpaceNeed } from './method.js';
import { nearestExisting } from './probe.js';

/** Headroom a copy-on-write snapshot needs for the blocks a migration rewrites. */
export const COW_HEADROOM_BYTES = 128 * 1024 * 1024;
/** Metadata a hard-link tree writes per folder (one directory block). */
const FOLDER_BYTES = 4096;

async function count(host: Host, args: string[], signal?: AbortSignal): Promise<number> {
  const result = await host.run({ file: 'find', args, timeoutMs: LONG_MS, reject: false, signal });
  return result.stdout.length;
}

async function duBytes(host: Host, path: string, signal?: AbortSignal): Promise<number> {
  const result = await host.run({ file: 'du', args: ['-s', '-B1', '--one-file-system', '--', path], timeoutMs: LONG_MS, reject: false, signal });
  const value = Number(result.stdout.trim().split(/\s+/)[0]);
  return result.exitCode === 0 && Number.isFinite(value) ? value : 0;
}

/** Copy-on-write snapshots: headroom on the data directory's filesystem. */
export async function cowSpace(_host: Host, target: DataTarget): Promise<SpaceNeed> {
  return { path: target.dataDir, bytes: COW_HEADROOM_BYTES, inodes: 0 };
}

/** A copy of the app data: its bytes (plus 10 %) and one inode per entry, in the snapshot home. */
export async function appdataSpace(host: Host, target: DataTarget, signal?: AbortSignal): Promise<SpaceNeed> {
  const appdata = `${target.dataDir}/appdata_${target.instanceId}`;
  return { path: await nearestExisting(host, target.home, signal), bytes: Math.ceil((await duBytes(host, appdata, signal)) * 1.1), inodes: await count(host, [appdata, '-xdev', '-printf', '.'], signal) };
}

/** A hard-link tree: files become links (no inode, no bytes); folders, app data and top-level files are new. */
export async function hardlinkSpace(host: Host, target: DataTarget, signal?: AbortSignal): Promise<SpaceNeed> {
  const folders = await count(host, [target.dataDir, '-xdev', '-type', 'd', '-printf', '.'], signal);
  const copy = await appdataSpace(host, target, signal);
  return { path: copy.path, bytes: copy.bytes + folders * FOLDER_BYTES, inodes: folders + copy.inodes };
}

/** Refuses the update (nothing changed yet) when the snapshot would not fit. */
export async function checkDataSpace(host: Host, method: DataSnapshotMethod, target: DataTarget, options: { instance?: string; signal?: AbortSignal } = {}): Promise<SpaceNeed> {
  const need = await method.spaceNeeded(host, target, options.signal);
  if (need.bytes === 0 && need.inodes === 0) return need;
  const df = await host.run({ file: 'df', args: ['-B1', '--output=avail,iavail', '--', need.path], reject: false, signal: options.signal });
  const [avail, iavail] = (df.stdout.trim().split('\n').pop() ?? '').trim().split(/\s+/).map(Number);
  const short: string[] = [];
  if (avail !== undefined && Number.isFinite(avail) && avail < need.bytes) short.push(`${Math.ceil(need.bytes / 1048576)} MiB needed, ${Math.floor(avail / 1048576)} MiB free`);
  // Filesystems without a fixed inode table (btrfs, ZFS) report 0 free inodes: only a positive count limits.
  if (iavail !== undefined && Number.isFinite(iavail) && iavail > 0 && iavail < need.inodes) short.push(`${need.inodes} inodes needed, ${iavail} free`);
  if (short.length > 0) {
    throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'preflight', instance: options.instance,
      detail: `too little room for the ${method.id} data snapshot at ${need.path}: ${short.join('; ')}`,
      hint: 'Free space there, or choose another `dataSnapshot.method` (see `ncupd check`).' });
  }
  return need;
}
