import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataTargetOf } from '../daemon/snapshots/data/target.js';
import { timeDataSnapshot } from '../daemon/snapshots/data/time-method.js';
import type { DataMethodId } from '../daemon/snapshots/data/method.js';
import { loopFsUnavailable, makeSubvolume, mountLoopFs } from '../test/fixtures/harness/loop-fs.js';
import { diskUsageMb, host } from './measure.js';

// Each data-snapshot method that runs for real here (issue 9), timed on the same data directory:
// 100,000 user files in 1,000 folders plus 1,000 previews in appdata. zfs and lvm need kernel
// support this machine lacks; they are not timed.

const USER_FILES = 100_000;
const PER_FOLDER = 100;
const PREVIEWS = 1_000;
const INSTANCE_ID = 'ocbench0001';

export interface DataSnapshotFigure {
  readonly filesystem: 'ext4' | 'btrfs';
  readonly take_s: number;
  readonly restore_s: number;
  readonly remove_s: number;
  readonly written_mb: number;
}

/** A data directory shaped like a real one: small user files, an appdata folder of previews. */
function writeDataDirectory(dataDir: string): void {
  const body = Buffer.alloc(2048, 'x');
  for (let folder = 0; folder < USER_FILES / PER_FOLDER; folder++) {
    const dir = join(dataDir, `user${folder % 10}`, 'files', `folder${folder}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_FOLDER; i++) writeFileSync(join(dir, `file${i}.txt`), body);
  }
  const previews = join(dataDir, `appdata_${INSTANCE_ID}`, 'preview');
  mkdirSync(previews, { recursive: true });
  for (let i = 0; i < PREVIEWS; i++) writeFileSync(join(previews, `${i}.png`), body);
  writeFileSync(join(dataDir, 'nextcloud.log'), '');
}

async function timeOn(method: DataMethodId, filesystem: 'ext4' | 'btrfs', base: string, subvolume: boolean): Promise<DataSnapshotFigure> {
  const installRoot = join(base, 'nextcloud');
  const dataDir = join(base, 'data');
  mkdirSync(installRoot, { recursive: true });
  writeDataDirectory(dataDir);
  if (subvolume) await makeSubvolume(dataDir);
  await host.run({ file: 'sync', args: ['-f', dataDir] });
  const target = dataTargetOf({ name: 'bench', path: installRoot }, { dataDirectory: dataDir, instanceId: INSTANCE_ID });
  const timing = await timeDataSnapshot(host, method, target);
  // The restore kept the directory it replaced (a restore never deletes): the benchmark removes it
  // (on btrfs the whole image goes; its subvolumes count as other devices to rm --one-file-system).
  if (!subvolume) await host.run({ file: 'rm', args: ['-rf', '--one-file-system', target.home, dataDir], timeoutMs: 600_000 });
  return { filesystem, take_s: timing.takeMs / 1000, restore_s: timing.restoreMs / 1000, remove_s: timing.removeMs / 1000, written_mb: timing.bytes / 1e6 };
}

/** Times hardlink, appdata and none on ext4 (the machine's own disk), and btrfs on a loop-mounted image. */
export async function measureDataSnapshots(log: (line: string) => void): Promise<{ files: number; data_mb: number; methods: Record<string, DataSnapshotFigure | string> }> {
  const methods: Record<string, DataSnapshotFigure | string> = {};
  const probe = mkdtempSync(join(tmpdir(), 'ncupd-bench-data-'));
  writeDataDirectory(join(probe, 'data'));
  const dataMb = await diskUsageMb(join(probe, 'data'));
  await host.run({ file: 'rm', args: ['-rf', probe], timeoutMs: 600_000 });
  for (const method of ['none', 'appdata', 'hardlink'] as const) {
    log(`data snapshot: ${method} on ext4, ${USER_FILES + PREVIEWS} files`);
    const base = mkdtempSync(join(tmpdir(), 'ncupd-bench-data-'));
    try {
      methods[method] = await timeOn(method, 'ext4', base, false);
    } finally {
      await host.run({ file: 'rm', args: ['-rf', '--one-file-system', base], timeoutMs: 600_000 });
    }
  }
  const unavailable = await loopFsUnavailable('btrfs');
  if (unavailable) {
    methods.btrfs = `not measured: ${unavailable}`;
  } else {
    log(`data snapshot: btrfs on a loop-mounted image, ${USER_FILES + PREVIEWS} files`);
    const fs = await mountLoopFs('btrfs', 2048);
    try {
      methods.btrfs = await timeOn('btrfs', 'btrfs', fs.mount, true);
    } finally {
      await fs.close();
    }
  }
  methods.zfs = 'not measured: no ZFS kernel support here (tested against a recording host)';
  methods.lvm = 'not measured: no LVM thin volumes here (tested against a recording host)';
  return { files: USER_FILES + PREVIEWS, data_mb: Math.round(dataMb), methods };
}
