import { cowSpace } from '../space.js';
import type { Host } from '../../../hosts/host.js';
import { fail, record, RESTORE_FAILURE, runTool, TAKE_FAILURE } from '../common.js';
import type { Applicability, DataSnapshotMethod, DataTarget } from '../method.js';
import { fsTypeOf, mountOf } from '../probe.js';

async function datasetOf(host: Host, target: DataTarget, signal?: AbortSignal): Promise<Applicability & { dataset?: string }> {
  const fs = await fsTypeOf(host, target.dataDir, signal);
  if (fs === undefined) return { ok: false, reason: `the data directory ${target.dataDir} does not exist` };
  if (fs !== 'zfs') return { ok: false, reason: `the data directory is on ${fs}, not ZFS` };
  const mount = await mountOf(host, target.dataDir, signal);
  if (!mount || mount.target !== target.dataDir) {
    return { ok: false, reason: `${target.dataDir} is a folder inside the dataset ${mount?.source ?? '?'} mounted at ${mount?.target ?? '?'}: zfs rollback would roll back everything on that dataset. Give the data directory a dataset of its own (zfs create -o mountpoint=${target.dataDir})` };
  }
  const listed = await host.run({ file: 'zfs', args: ['list', '-H', '-o', 'name', '--', mount.source], reject: false, signal });
  if (listed.exitCode !== 0 || listed.stdout.trim() !== mount.source) return { ok: false, reason: `zfs does not know the dataset ${mount.source} mounted at ${target.dataDir}` };
  return { ok: true, dataset: mount.source };
}

async function snapshotExists(host: Host, name: string, signal?: AbortSignal): Promise<boolean> {
  return (await host.run({ file: 'zfs', args: ['list', '-H', '-t', 'snapshot', '-o', 'name', '--', name], reject: false, signal })).exitCode === 0;
}

/**
 * `zfs snapshot` of the dataset mounted at the data directory, `zfs rollback` to it. Rollback
 * discards what changed since the snapshot, so ncupd rolls back only while the snapshot is the
 * dataset's newest (never `-r`, which would destroy newer snapshots, an operator's included) and
 * only inside the window, when nothing but the failed upgrade can have written.
 */
export const zfsDataMethod: DataSnapshotMethod = {
  id: 'zfs',
  exact: true,
  coversUserFiles: true,
  restoresLater: false,
  needsTools: ['zfs', 'findmnt', 'stat'],
  async applies(host, target, signal) {
    const found = await datasetOf(host, target, signal);
    return found.ok ? { ok: true } : found;
  },
  spaceNeeded: cowSpace,
  async take(host, target, txid, signal) {
    const started = Date.now();
    const found = await datasetOf(host, target, signal);
    if (!found.ok || !found.dataset) throw fail(TAKE_FAILURE, found.ok ? 'no dataset' : found.reason);
    const location = `${found.dataset}@ncupd-${txid}`;
    if (!(await snapshotExists(host, location, signal))) {
      await runTool(host, { file: 'zfs', args: ['snapshot', '--', location], signal }, TAKE_FAILURE, 'taking the ZFS snapshot of the data directory');
    }
    return record('zfs', target, txid, { location, replacedAt: '', started, bytes: 0, extra: { dataset: found.dataset } });
  },
  async restore(host, snapshot, signal) {
    const dataset = snapshot.extra.dataset ?? snapshot.location.split('@')[0]!;
    const listed = await runTool(host, { file: 'zfs', args: ['list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'createtxg', '-d', '1', '--', dataset], signal }, RESTORE_FAILURE, 'listing the snapshots of the data directory\'s dataset');
    const names = listed.stdout.trim().split('\n').filter(Boolean);
    if (!names.includes(snapshot.location)) throw fail(RESTORE_FAILURE, `the ZFS snapshot ${snapshot.location} is gone`);
    const newer = names.slice(names.indexOf(snapshot.location) + 1);
    if (newer.length > 0) {
      throw fail(RESTORE_FAILURE, `newer snapshots of ${dataset} exist (${newer.join(', ')}); zfs rollback would destroy them, so ncupd does not roll back the data (clone ${snapshot.location} and copy back by hand, docs/operations.md)`);
    }
    await runTool(host, { file: 'zfs', args: ['rollback', '--', snapshot.location], signal }, RESTORE_FAILURE, 'rolling the data directory\'s dataset back');
    return { replacedAt: undefined, alreadyDone: false };
  },
  async remove(host, snapshot, signal) {
    if (!(await snapshotExists(host, snapshot.location, signal))) return;
    await runTool(host, { file: 'zfs', args: ['destroy', '--', snapshot.location], signal }, TAKE_FAILURE, 'destroying an old ZFS snapshot');
  },
};
