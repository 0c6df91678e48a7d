import { appdataDataMethod } from './appdata/index.js';
import { btrfsDataMethod } from './btrfs/index.js';
import { hardlinkDataMethod } from './hardlink/index.js';
import { lvmDataMethod } from './lvm/index.js';
import type { DataMethodId, DataSnapshotMethod } from './method.js';
import { noneDataMethod } from './none/index.js';
import { zfsDataMethod } from './zfs/index.js';

/** Every data-snapshot method by id, listed by hand (shared/style.md, point 1). */
export const dataMethods: Readonly<Record<DataMethodId, DataSnapshotMethod>> = Object.freeze({
  btrfs: btrfsDataMethod,
  zfs: zfsDataMethod,
  lvm: lvmDataMethod,
  hardlink: hardlinkDataMethod,
  appdata: appdataDataMethod,
  none: noneDataMethod,
});

/** The methods `auto` may choose, cheapest first: constant-time and exact for the whole data directory. */
export const AUTO_ORDER: readonly DataMethodId[] = ['btrfs', 'zfs', 'lvm'];
