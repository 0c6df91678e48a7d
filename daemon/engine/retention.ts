import { dirname } from 'node:path';
import type { RunContext } from './context.js';
import { listDir, removeOwnTree } from './host-fs.js';
import { readHistory } from './history.js';
import { listUnfinishedTransactions } from './journal.js';

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
