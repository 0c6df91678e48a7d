import { cowSpace } from '../space.js';
import type { Host } from '../../../hosts/host.js';
import { fail, record, RESTORE_FAILURE, runTool, TAKE_FAILURE } from '../common.js';
import type { Applicability, DataSnapshotMethod, DataTarget } from '../method.js';
import { mountOf } from '../probe.js';

interface Volume { readonly vg: string; readonly lv: string; readonly options: string }

async function volumeOf(host: Host, target: DataTarget, signal?: AbortSignal): Promise<Applicability & { volume?: Volume }> {
  const mount = await mountOf(host, target.dataDir, signal);
  if (!mount) return { ok: false, reason: `the data directory ${target.dataDir} does not exist` };
  if (mount.target !== target.dataDir) {
    return { ok: false, reason: `${target.dataDir} is a folder on ${mount.source} mounted at ${mount.target}: a snapshot of that volume would take (and a rollback put back) everything on it. Give the data directory a thin logical volume of its own` };
  }
  const lvs = await host.run({ file: 'lvs', args: ['--noheadings', '--separator', '|', '-o', 'vg_name,lv_name,segtype', '--', mount.source], reject: false, signal });
  const [vg, lv, segtype] = lvs.stdout.trim().split('|').map((part) => part.trim());
  if (lvs.exitCode !== 0 || !vg || !lv) return { ok: false, reason: `${mount.source} mounted at ${target.dataDir} is not an LVM logical volume` };
  if (segtype !== 'thin') {
    return { ok: false, reason: `${vg}/${lv} is a ${segtype ?? 'non-thin'} volume: classic LVM snapshots need a preallocated copy-on-write area and are invalidated when it fills; ncupd snapshots thin volumes only` };
  }
  // The restored volume is a snapshot: it carries the origin's filesystem UUID and label.
  const fstab = await host.readFile('/etc/fstab').then((b) => b.toString('utf8'), () => '');
  const entry = fstab.split('\n').map((line) => line.trim().split(/\s+/)).find((fields) => fields[1] === target.dataDir && !fields[0]?.startsWith('#'));
  if (entry?.[0] && /^(UUID|LABEL|PARTUUID|PARTLABEL)=/.test(entry[0])) {
    return { ok: false, reason: `/etc/fstab mounts ${target.dataDir} by ${entry[0].split('=')[0]}: after a rollback the kept origin and the restored volume carry the same one. Name the volume by path (/dev/${vg}/${lv}) in fstab` };
  }
  const options = await host.run({ file: 'findmnt', args: ['-n', '-o', 'OPTIONS', '--mountpoint', target.dataDir], reject: false, signal });
  return { ok: true, volume: { vg, lv, options: options.stdout.trim() } };
}

async function lvExists(host: Host, name: string, signal?: AbortSignal): Promise<boolean> {
  return (await host.run({ file: 'lvs', args: ['--noheadings', '-o', 'lv_name', '--', name], reject: false, signal })).exitCode === 0;
}

async function isMounted(host: Host, path: string, signal?: AbortSignal): Promise<boolean> {
  return (await host.run({ file: 'findmnt', args: ['-n', '-o', 'SOURCE', '--mountpoint', path], reject: false, signal })).exitCode === 0;
}

/**
 * A thin snapshot of the logical volume mounted at the data directory (lvcreate suspends the
 * device, which freezes the filesystem, so the snapshot is consistent). Rollback by merging needs
 * the origin unmounted and reactivated, so ncupd does not merge: it mounts a writable thin
 * snapshot of the snapshot in place of the origin and renames the volumes, keeping the origin
 * (with whatever it held) as `<lv>-ncupd-replaced-<txid>`.
 */
export const lvmDataMethod: DataSnapshotMethod = {
  id: 'lvm',
  exact: true,
  coversUserFiles: true,
  restoresLater: false,
  needsTools: ['lvs', 'lvcreate', 'lvchange', 'lvrename', 'lvremove', 'findmnt', 'mount', 'umount'],
  async applies(host, target, signal) {
    const found = await volumeOf(host, target, signal);
    return found.ok ? { ok: true } : found;
  },
  spaceNeeded: cowSpace,
  async take(host, target, txid, signal) {
    const started = Date.now();
    const found = await volumeOf(host, target, signal);
    if (!found.ok || !found.volume) throw fail(TAKE_FAILURE, found.ok ? 'no logical volume' : found.reason);
    const { vg, lv, options } = found.volume;
    const name = `ncupd-${txid}`;
    if (!(await lvExists(host, `${vg}/${name}`, signal))) {
      await runTool(host, { file: 'lvcreate', args: ['--snapshot', '--name', name, '--', `${vg}/${lv}`], signal }, TAKE_FAILURE, 'taking the thin snapshot of the data directory\'s volume');
    }
    return record('lvm', target, txid, { location: `${vg}/${name}`, replacedAt: `${vg}/${lv}-ncupd-replaced-${txid}`, started, bytes: 0, extra: { vg, lv, options } });
  },
  async restore(host, snapshot, signal) {
    const { vg = '', lv = '', options = '' } = snapshot.extra;
    const restored = `${snapshot.location}-restored`;
    const replacedName = snapshot.replacedAt.slice(vg.length + 1);
    const run = (args: string[], file: string, what: string) => runTool(host, { file, args, signal }, RESTORE_FAILURE, what);
    // Each step is skipped when a crash left it done, so recovery can run the whole again.
    if (!(await lvExists(host, snapshot.replacedAt, signal))) {
      if (!(await lvExists(host, snapshot.location, signal))) throw fail(RESTORE_FAILURE, `the thin snapshot ${snapshot.location} is gone`);
      if (!(await lvExists(host, restored, signal))) {
        await run(['--snapshot', '--name', restored.slice(vg.length + 1), '--', snapshot.location], 'lvcreate', 'making a writable copy of the snapshot');
      }
      if (await isMounted(host, snapshot.dataDir, signal)) await run(['--', snapshot.dataDir], 'umount', 'unmounting the data directory (a process still holds it open?)');
      await run(['--', vg, lv, replacedName], 'lvrename', 'keeping the current volume aside');
    }
    if (!(await lvExists(host, `${vg}/${lv}`, signal))) await run(['--', vg, restored.slice(vg.length + 1), lv], 'lvrename', 'putting the restored volume in place');
    // Snapshots skip activation by default; the volume now mounted in place of the origin must not.
    await run(['--setactivationskip', 'n', '--activate', 'y', '--', `${vg}/${lv}`], 'lvchange', 'activating the restored volume');
    if (!(await isMounted(host, snapshot.dataDir, signal))) {
      await run([...(options ? ['-o', options] : []), '--', `/dev/${vg}/${lv}`, snapshot.dataDir], 'mount', 'mounting the restored volume at the data directory');
    }
    return { replacedAt: snapshot.replacedAt, alreadyDone: false };
  },
  async remove(host, snapshot, signal) {
    if (!(await lvExists(host, snapshot.location, signal))) return;
    await runTool(host, { file: 'lvremove', args: ['--yes', '--', snapshot.location], signal }, TAKE_FAILURE, 'removing an old thin snapshot');
  },
};
