import { exists } from '../../../engine/host-fs.js';
import { cowSpace } from '../space.js';
import type { Host } from '../../../hosts/host.js';
import { fail, makeRunFolder, record, RESTORE_FAILURE, runTool, TAKE_FAILURE } from '../common.js';
import type { Applicability, DataSnapshotMethod, DataTarget } from '../method.js';
import { fsTypeOf, mountOf, nearestExisting, statOf } from '../probe.js';
import { swapBack } from '../swap.js';
import { runFolder } from '../target.js';

/** The root directory of every btrfs subvolume has inode number 256 (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INODE = '256';

export async function btrfsApplies(host: Host, target: DataTarget, signal?: AbortSignal): Promise<Applicability> {
  const fs = await fsTypeOf(host, target.dataDir, signal);
  if (fs === undefined) return { ok: false, reason: `the data directory ${target.dataDir} does not exist` };
  if (fs !== 'btrfs') return { ok: false, reason: `the data directory is on ${fs}, not btrfs` };
  if ((await statOf(host, target.dataDir, '%i', signal)) !== SUBVOLUME_ROOT_INODE) {
    return { ok: false, reason: `${target.dataDir} is a folder inside a larger btrfs subvolume, not the root of its own: a snapshot would take (and a rollback put back) everything else on that subvolume. Make the data directory a subvolume of its own (btrfs subvolume create, copy with --reflink, swap)` };
  }
  const mount = await mountOf(host, target.dataDir, signal);
  if (!mount || mount.target === target.dataDir) {
    return { ok: false, reason: `${target.dataDir} is itself a mount point (mounted with subvol=): a rollback swaps subvolumes by rename, which needs the data directory to be a nested subvolume below a mounted part of the same btrfs filesystem` };
  }
  const homeMount = await mountOf(host, await nearestExisting(host, target.home, signal), signal);
  if (!homeMount || homeMount.target !== mount.target) {
    return { ok: false, reason: `the snapshot folder ${target.home} is not on the data directory's btrfs mount (${mount.target}); snapshots cannot cross filesystems` };
  }
  return { ok: true };
}

/**
 * A read-only snapshot of the data directory's subvolume: constant time, no copying; blocks are
 * shared until the live data changes. Rollback renames the live subvolume aside and makes a
 * writable snapshot of the read-only one at the data directory's path.
 */
export const btrfsDataMethod: DataSnapshotMethod = {
  id: 'btrfs',
  exact: true,
  coversUserFiles: true,
  restoresLater: true,
  needsTools: ['btrfs', 'findmnt', 'stat'],
  applies: btrfsApplies,
  spaceNeeded: cowSpace,
  async take(host, target, txid, signal) {
    const started = Date.now();
    const folder = await makeRunFolder(host, target, txid);
    const location = `${folder}/data`;
    if (!(await exists(host, location))) {
      await runTool(host, { file: 'btrfs', args: ['subvolume', 'snapshot', '-r', '--', target.dataDir, location], signal }, TAKE_FAILURE, 'taking the btrfs snapshot of the data directory');
    }
    return record('btrfs', target, txid, { location, replacedAt: `${runFolder(target, txid)}/data-replaced`, started, bytes: 0 });
  },
  async restore(host, snapshot, signal) {
    return swapBack(host, snapshot.dataDir, snapshot.replacedAt, async () => {
      if (!(await exists(host, snapshot.location))) throw fail(RESTORE_FAILURE, `the btrfs snapshot ${snapshot.location} is gone`);
      await runTool(host, { file: 'btrfs', args: ['subvolume', 'snapshot', '--', snapshot.location, snapshot.dataDir], signal }, RESTORE_FAILURE, 'putting the btrfs snapshot back at the data directory');
    });
  },
  async remove(host, snapshot, signal) {
    if (!(await exists(host, snapshot.location))) return;
    await runTool(host, { file: 'btrfs', args: ['subvolume', 'delete', '--', snapshot.location], signal }, TAKE_FAILURE, 'deleting an old btrfs snapshot');
  },
};
