import { NcupdError } from '../../errors/ncupd-error.js';
import { takeDatabaseSnapshot } from '../database-snapshot.js';
import { writeDataRecord } from '../../snapshots/data/record.js';
import { dataMethods } from '../../snapshots/data/registry.js';
import type { RunContext } from '../context.js';
import { setMaintenance, occ } from '../occ.js';
import { makePrivateDir } from '../host-fs.js';
import { snapshotConfig } from '../config-snapshot.js';
import { faultWhileRunning } from '../faults.js';
import { findProcesses } from '../find-processes.js';
import type { Stage } from '../stage.js';

/** Stage 7: maintenance on; its undo (maintenance off) runs last, after the restored instance was checked. */
export const maintenanceOnStage: Stage = {
  name: 'maintenance-on', changesInstance: true, inWindow: true,
  timeoutMs: () => 120_000,
  async run(ctx) {
    await ctx.undo.push({ kind: 'maintenance-off', name: 'turn maintenance mode off', last: true });
    ctx.state.windowStartedAt = Date.now();
    await setMaintenance(ctx.host, ctx.instance, true, { signal: ctx.signal, secrets: ctx.secrets });
  },
};

/** cron.php exits at start in maintenance, but a run that began before keeps going (contract 9, "Cron"). */
export const waitCronStage: Stage = {
  name: 'wait-cron', changesInstance: false, inWindow: true,
  timeoutMs: (ctx) => ctx.instance.cronWaitSeconds * 1000 + 30_000,
  async run(ctx) {
    const pattern = `${ctx.instance.path}/cron.php`;
    const deadline = Date.now() + ctx.instance.cronWaitSeconds * 1000;
    for (;;) {
      const running = await findProcesses(ctx.host, pattern, ctx.signal);
      if (running.length === 0) return;
      if (Date.now() >= deadline) {
        throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'wait-cron', instance: ctx.instance.name,
          detail: `cron.php (pid ${running.join(', ')}) still runs after ${ctx.instance.cronWaitSeconds} s`,
          hint: 'A long background job holds the instance; run again later or raise cronWaitSeconds.' });
      }
      ctx.emit({ type: 'note', message: `waiting for cron.php (pid ${running.join(', ')}) to finish` });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  },
};

/** Stage 8: no snapshot, no update. Database and config, each checked against its manifest. */
export const snapshotStage: Stage = {
  name: 'snapshot', changesInstance: false, inWindow: true,
  timeoutMs: () => 3_600_000,
  async run(ctx) {
    const dir = ctx.state.snapshotDir!;
    const database = ctx.state.database!;
    await makePrivateDir(ctx.host, dir);
    await makePrivateDir(ctx.host, `${dir}/database`);
    const snapshot = await takeDatabaseSnapshot(ctx.host, ctx.instance, database, dir, ctx.txid, ctx.signal);
    await snapshotConfig(ctx.host, ctx.instance.path, `${dir}/config`);
    const data = await snapshotData(ctx, dir);
    await ctx.journal.append({ type: 'done', step: 'snapshot', data: { dir, database: snapshot.files,
      ...(data ? { data: { method: data.method, location: data.location, ms: data.durationMs, bytes: data.bytes } } : {}) } });
    const dataDetail = data ? `; data: ${data.method}, ${data.bytes} bytes in ${data.durationMs} ms` : '';
    return { kind: 'continue', detail: `${snapshot.detail}${dataDetail}` };
  },
};

/**
 * The data snapshot, after maintenance is on and cron has finished, so nothing writes the data
 * directory while it is taken (issue 9). Its undo is pushed once data.json names it: restore-data
 * runs after the strategy's undo (last in, first out), when the data directory is back where it was.
 */
async function snapshotData(ctx: RunContext, dir: string) {
  const id = ctx.state.dataMethod;
  if (!id || ctx.state.skipDataSnapshot) return undefined;
  const snapshot = await dataMethods[id].take(ctx.host, ctx.state.dataTarget!, ctx.txid, ctx.signal);
  await writeDataRecord(ctx.host, dir, snapshot);
  ctx.state.dataSnapshot = snapshot;
  if (id !== 'none') await ctx.undo.push({ kind: 'restore-data', name: `put the data directory back from the ${id} snapshot`, data: { dir } });
  return snapshot;
}

/** Stage 9: the strategy puts the new code in place (pushing its own undo first). */
export const applyStage: Stage = {
  name: 'apply', changesInstance: true, inWindow: true,
  timeoutMs: () => 1_800_000,
  async run(ctx) {
    await ctx.strategy.apply(ctx);
  },
};

/** Stage 10: `occ upgrade`; its undo restores database and config from the snapshot. */
export const upgradeStage: Stage = {
  name: 'upgrade', changesInstance: true, inWindow: true,
  timeoutMs: () => 3_600_000,
  async run(ctx) {
    const dir = ctx.state.snapshotDir!;
    const database = ctx.state.database!;
    // Two steps, so a failed config restore does not keep the database from being restored.
    await ctx.undo.push({ kind: 'restore-database', name: 'restore the database from the snapshot', data: { dir, type: database.type, database: database.name } });
    await ctx.undo.push({ kind: 'restore-config', name: 'restore config from the snapshot', data: { dir } });
    const during = faultWhileRunning('upgrade:running', ctx.signal);
    const result = await occ(ctx.host, ctx.instance, ['upgrade', '--no-interaction'], { signal: during.signal, timeoutMs: 3_600_000, secrets: ctx.secrets })
      .finally(() => during.stop());
    if (result.exitCode !== 0) {
      const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').filter((l) => l.trim() !== '').slice(-8).join('\n');
      throw new NcupdError('NCUPD_UPGRADE_FAILED', { stage: 'upgrade', instance: ctx.instance.name, detail: `occ upgrade exited ${result.exitCode ?? result.signal}:\n${output}` });
    }
  },
};
