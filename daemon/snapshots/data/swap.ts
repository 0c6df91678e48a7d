import { faultPoint } from '../../engine/faults.js';
import { exists, rename } from '../../engine/host-fs.js';
import type { Host } from '../../hosts/host.js';
import type { RestoreResult } from './method.js';

/**
 * The restore shared by path-based methods: the live folder is renamed aside (kept, never
 * deleted: it may hold what users wrote since), then `putInPlace` puts the snapshot at the live
 * path. Idempotent by what exists: with both the aside and the live folder present the restore is
 * done; with only the aside present a crash hit between the two steps.
 */
export async function swapBack(host: Host, live: string, aside: string, putInPlace: () => Promise<void>): Promise<RestoreResult> {
  const liveThere = await exists(host, live);
  const asideThere = await exists(host, aside);
  if (asideThere && liveThere) return { replacedAt: aside, alreadyDone: true };
  if (!asideThere && liveThere) {
    await rename(host, live, aside);
    // Crash-safety tests cut the restore here: recovery must finish it (data directory gone from its place).
    await faultPoint('data-restore:aside');
  }
  await putInPlace();
  return { replacedAt: asideThere || liveThere ? aside : undefined, alreadyDone: false };
}
