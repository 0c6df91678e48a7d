import type { Host } from '../../hosts/host.js';
import type { Applicability, DataTarget } from './method.js';
import { deviceOf, nearestExisting } from './probe.js';

/** Hard links and rename(2) need `path` and the snapshot home on one device (on btrfs: one subvolume). */
export async function onHomeDevice(host: Host, target: DataTarget, path: string, signal?: AbortSignal): Promise<Applicability> {
  const device = await deviceOf(host, path, signal);
  if (device === undefined) return { ok: false, reason: `${path} does not exist` };
  const home = await nearestExisting(host, target.home, signal);
  if ((await deviceOf(host, home, signal)) !== device) {
    return { ok: false, reason: `${path} and the snapshot folder ${target.home} are on different filesystems (or btrfs subvolumes): hard links and rename cannot cross them. Mount points below the data directory's parent break this; a data directory that is a filesystem of its own suits btrfs, zfs or lvm` };
  }
  return { ok: true };
}
