import { readDatabaseCredentials } from '../../discovery/read-credentials.js';
import { parseOccJson } from '../../discovery/occ-json.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { databaseMethods } from '../../snapshots/database/registry.js';
import type { DatabaseTarget } from '../../snapshots/database/method.js';
import type { IntegrityReport } from '../../../integrity/checks/check.js';
import { exists, freeBytes, makePrivateDir } from '../host-fs.js';
import { occ } from '../occ.js';
import type { RunContext } from '../context.js';
import type { Stage } from '../stage.js';
import { writeFacts } from '../recovery-facts.js';
import { checkServerSnapshot } from '../database-snapshot.js';
import { planDataSnapshot } from '../../snapshots/data/plan.js';
import { checkDataSpace } from '../../snapshots/data/space.js';
import { dataTargetOf } from '../../snapshots/data/target.js';

function fail(ctx: RunContext, detail: string, hint?: string): never {
  throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'preflight', instance: ctx.instance.name, detail, hint });
}

export async function databaseTarget(ctx: RunContext): Promise<DatabaseTarget> {
  const d = ctx.state.discovered!;
  const type = d.dbType as DatabaseTarget['type'];
  const credentials = type === 'sqlite3' ? undefined : await readDatabaseCredentials(ctx.host, ctx.instance);
  if (credentials?.password) ctx.secrets.push(credentials.password);
  const config = await occ(ctx.host, ctx.instance, ['config:system:get', 'mysql.utf8mb4'], { signal: ctx.signal });
  return {
    type, name: d.dbName, endpoint: d.db, credentials, sqlitePath: type === 'sqlite3' ? `${d.dataDirectory}/${d.dbName}.db` : undefined,
    utf8mb4: config.stdout.trim() === 'true', tablePrefix: 'oc_', php: ctx.instance.php, webUser: ctx.instance.webUser,
  };
}

export async function integrityBaseline(ctx: RunContext): Promise<IntegrityReport | undefined> {
  const result = await occ(ctx.host, ctx.instance, ['integrity:check-core', '--output=json'], { signal: ctx.signal, timeoutMs: 600_000 });
  if (result.exitCode === 2) return undefined;
  const report = parseOccJson<IntegrityReport | []>(result.stdout);
  if (report === undefined) fail(ctx, `integrity:check-core gave no JSON (exit ${result.exitCode}): ${result.stdout.slice(0, 200)}`);
  return Array.isArray(report) ? {} : report;
}

/**
 * The data-snapshot method for this run (issue 9): a configured method that would not snapshot
 * exactly this data directory stops the update; `auto` falls back to none and says so.
 */
export async function planData(ctx: RunContext): Promise<void> {
  const d = ctx.state.discovered!;
  const target = dataTargetOf(ctx.instance, d);
  const plan = await planDataSnapshot(ctx.host, target, ctx.instance.dataSnapshot.method, { instance: ctx.instance.name, signal: ctx.signal });
  ctx.state.dataTarget = target;
  ctx.state.dataMethod = plan.method.id;
  if (plan.method.id === 'none') {
    const why = ctx.instance.dataSnapshot.method === 'none' ? 'dataSnapshot.method is none' : 'no copy-on-write method applies (`ncupd check` says why)';
    ctx.emit({ type: 'note', message: `risk: the data directory is not snapshotted (${why}); a rollback restores code, config and database only` });
  }
  await checkDataSpace(ctx.host, plan.method, target, { instance: ctx.instance.name, signal: ctx.signal });
}

/** Stage 6: everything that must hold before maintenance goes on; nothing is changed here. */
export const preflightStage: Stage = {
  name: 'preflight', changesInstance: false, inWindow: false,
  timeoutMs: () => 900_000,
  async run(ctx) {
    const d = ctx.state.discovered!;
    if (d.configReadOnly) fail(ctx, 'config_is_read_only is set: Nextcloud cannot switch maintenance mode or record the upgrade', 'Unset config_is_read_only for the update (contract pitfall 19).');
    if (d.maintenance) fail(ctx, 'maintenance mode is already on: someone else is working on this instance', 'Finish that work and turn maintenance off (`occ maintenance:mode --off`), then run again.');
    if (d.updaterStep && !(d.updaterStep.state === 'end' && (d.updaterStep.step ?? 0) >= 12) && d.updaterStep.state !== 'start') {
      // Stopped between steps (Ctrl-C): its next run would resume with its own stale downloads/ instead of ncupd's bytes.
      fail(ctx, `the official updater left ${d.updaterStep.path} at step ${d.updaterStep.step ?? '?'} (state ${d.updaterStep.state ?? '?'}): an interrupted update`,
        `Run \`ncupd clear-updater-step --instance ${ctx.instance.name}\`: it explains the leftover and, if the code is still the installed version, moves ${d.updaterStep.path} and the downloads/ folder beside it aside (with --yes).`);
    }
    if (d.updaterStep?.state === 'start') {
      fail(ctx, `the official updater left ${d.updaterStep.path} in state "start" (step ${d.updaterStep.step ?? '?'}): an updater is running or crashed`,
        `Run \`ncupd clear-updater-step --instance ${ctx.instance.name}\`: it checks for a running updater and whether the code is half-replaced, and moves ${d.updaterStep.path} aside (with --yes) only when that is safe.`);
    }
    const database = await databaseTarget(ctx);
    const method = databaseMethods[database.type];
    if (!method) fail(ctx, `no snapshot method for dbtype ${database.type}`);
    await method.ping(ctx.host, database, ctx.signal);
    await checkServerSnapshot(ctx.host, ctx.instance, database, ctx.signal);
    ctx.state.database = database;
    const snapshotDir = `${ctx.config.stateDir}/snapshots/${ctx.instance.name}/${ctx.txid}`;
    await makePrivateDir(ctx.host, `${ctx.config.stateDir}/snapshots/${ctx.instance.name}`);
    const sqliteSize = database.sqlitePath && (await exists(ctx.host, database.sqlitePath))
      ? Number((await ctx.host.run({ file: 'stat', args: ['-c', '%s', database.sqlitePath] })).stdout.trim()) : 0;
    const free = await freeBytes(ctx.host, `${ctx.config.stateDir}/snapshots`);
    if (free < sqliteSize * 1.2 + 64 * 1024 * 1024) fail(ctx, `${ctx.config.stateDir} has ${Math.floor(free / 1048576)} MiB free, too little for the snapshot`);
    ctx.state.snapshotDir = snapshotDir;
    await planData(ctx);
    ctx.state.integrityBaseline = await integrityBaseline(ctx);
    ctx.state.appsBefore = Object.fromEntries(d.apps.filter((a) => a.enabled).map((a) => [a.id, { shipped: a.shipped }]));
    // What recovery needs after a crash, durable before maintenance goes on (never the password).
    const { credentials: _secret, ...known } = database;
    const path = await writeFacts(ctx.config.stateDir, ctx.instance.name, ctx.txid, {
      fromVersion: d.installedVersion, targetVersion: ctx.state.targetVersion!, snapshotDir, database: known,
      integrityBaseline: ctx.state.integrityBaseline, appsBefore: ctx.state.appsBefore, workDir: ctx.state.workDir, oldRoot: ctx.state.oldRoot,
      dataSnapshot: { method: ctx.state.dataMethod!, dataDir: ctx.state.dataTarget!.dataDir, home: ctx.state.dataTarget!.home },
    });
    await ctx.journal.append({ type: 'facts', data: { path } });
  },
};
