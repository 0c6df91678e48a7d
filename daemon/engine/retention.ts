import { dirname } from 'node:path';
import type { RunContext } from './context.js';
import { listDir, removeOwnTree } from './host-fs.js';
import { readHistory } from './history.js';
import { listUnfinishedTransactions } from './journal.js';
import { readDataRecord } from '../snapshots/data/record.js';
import { dataMethods } from '../snapshots/data/registry.js';
import type { Host } from '../hosts/host.js';
import { pruneDatabaseSnapshot } from './database-snapshot.js';

/**
 * Drops the data snapshot of a pruned run (a btrfs read-only subvolume or a ZFS snapshot needs
 * its own tool, and holds blocks as data changes). What a restore put aside stays: it may hold
 * files users wrote, so only the operator removes it; the run's folder goes only when empty.
 */
async function pruneDataSnapshot(host: Host, snapshotDir: string): Promise<void> {
  const snapshot = await readDataRecord(host, snapshotDir);
  if (!snapshot || snapshot.method === 'none') return;
  await dataMethods[snapshot.method].remove(host, snapshot);
  if (snapshot.location.startsWith('/')) {
    await host.run({ file: 'rmdir', args: ['--ignore-fail-on-non-empty', '--', dirname(snapshot.location)], reject: false });
  }
}

/**
 * Keeps the newest `snapshots.keep` snapshots and old code trees of an instance and removes the
 * rest: only folders ncupd made itself (transaction ids), never anything else.
 */
export async function pruneByRetention(ctx: RunContext): Promise<string[]> {
  const keep = ctx.instance.snapshots.keep;
  const removed: string[] = [];
  // The way back of a run that did not end cleanly is never pruned: an operator may still need it.
  const history = await readHistory(ctx.config.stateDir, { instance: ctx.instance.name, limit: 1000 });
  const protectedRuns = new Set(history.filter((h) => h.result === 'rollback-failed').map((h) => h.txid));
  for (const open of await listUnfinishedTransactions(ctx.config.stateDir, ctx.instance.name)) protectedRuns.add(open.txid);
  const txid = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
  const dirs = [`${ctx.config.stateDir}/snapshots/${ctx.instance.name}`];
  if (ctx.state.workDir) dirs.push(ctx.state.workDir);
  for (const dir of dirs) {
    const runs = (await listDir(ctx.host, dir)).filter((name) => txid.test(name) && !protectedRuns.has(name)).sort();
    for (const name of runs.slice(0, Math.max(0, runs.length - keep))) {
      if (dir === dirs[0]) {
        await pruneDataSnapshot(ctx.host, `${dir}/${name}`);
        await pruneDatabaseSnapshot(ctx.host, `${dir}/${name}`);
      }
      await removeOwnTree(ctx.host, `${dir}/${name}`);
      removed.push(`${dir}/${name}`);
    }
  }
  return removed;
}

/** After a successful swap the staged folder is empty and the release's sample config is ours to drop. */
export async function tidyWorkArea(ctx: RunContext): Promise<void> {
  if (!ctx.state.oldRoot) return;
  const txDir = dirname(ctx.state.oldRoot);
  await removeOwnTree(ctx.host, `${txDir}/staged`);
  await removeOwnTree(ctx.host, `${txDir}/release-config`);
}
