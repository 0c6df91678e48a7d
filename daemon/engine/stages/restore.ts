// `ncupd rollback` (issue 7): puts back the snapshot an earlier update left (code tree, config,
// database) as a transaction of its own, through the same runner, journal and undo stack: a fresh
// snapshot of the current state is taken first, so a failed restore rolls back to where it began.
import { join, dirname } from 'node:path';
import { discoverInstance } from '../../discovery/discover-instance.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { checkServerSnapshot, restoreDatabaseFrom, verifyDatabaseSnapshot } from '../database-snapshot.js';
import { databaseMethods } from '../../snapshots/database/registry.js';
import { restoreConfig } from '../config-snapshot.js';
import type { RunContext } from '../context.js';
import { exists, makePrivateDir } from '../host-fs.js';
import { readFacts, writeFacts } from '../recovery-facts.js';
import type { Stage } from '../stage.js';
import { databaseTarget, integrityBaseline, planData } from './preflight.js';
import type { DataSnapshot } from '../../snapshots/data/method.js';
import { dataMethods } from '../../snapshots/data/registry.js';

/** The update whose snapshot is put back, as `ncupd rollback` chose it. */
export interface RestoreSource {
  readonly txid: string;
  /** The version the snapshot holds (the update's `from`). */
  readonly version: string;
  readonly snapshotDir: string;
  /** The code tree the update replaced. */
  readonly oldTree: string;
  /** The update's data snapshot, if it took one. */
  readonly data?: DataSnapshot;
  /** `--with-data`: put the data directory back too (else it is left as it is now). */
  readonly withData?: boolean;
}

function fail(ctx: RunContext, detail: string, hint?: string): never {
  throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'preflight', instance: ctx.instance.name, detail, hint });
}

/**
 * Without --with-data the data directory is left alone, and needs no fresh snapshot either. With
 * it, the old snapshot must be one that can be put back while keeping what it replaces, and the
 * current data directory is snapshotted first (by the configured method) so a failed restore is undone.
 */
async function checkDataSource(ctx: RunContext, source: RestoreSource): Promise<void> {
  if (!source.withData) {
    ctx.state.skipDataSnapshot = true;
    return;
  }
  const data = source.data;
  if (!data || data.method === 'none') fail(ctx, `the update ${source.txid} took no data snapshot`);
  if (!dataMethods[data.method].restoresLater) {
    fail(ctx, `a ${data.method} data snapshot cannot be put back after the window without discarding what changed since`,
      `Roll back without --with-data, then copy what you need from the snapshot ${data.location} by hand (docs/operations.md, "Data snapshots").`);
  }
  if (data.dataDir !== ctx.state.discovered!.dataDirectory.replace(/\/+$/, '')) fail(ctx, `the data snapshot is of ${data.dataDir}, the instance now uses ${ctx.state.discovered!.dataDirectory}`);
  if (!(await exists(ctx.host, data.location))) fail(ctx, `the data snapshot ${data.location} of ${source.txid} is gone; retention may have removed it`);
  await planData(ctx);
  if (ctx.state.dataMethod === 'none') {
    fail(ctx, 'no data snapshot of the current data directory can be taken first (dataSnapshot.method is none here), so a failed restore could not be undone',
      'Set dataSnapshot.method (see `ncupd check`), or roll back without --with-data.');
  }
}

/** Checks everything the restore needs before maintenance goes on; changes nothing. */
export function restorePreflightStage(source: RestoreSource): Stage {
  return {
    name: 'preflight', changesInstance: false, inWindow: false,
    timeoutMs: () => 900_000,
    async run(ctx) {
      const discovered = await discoverInstance(ctx.host, ctx.instance, { signal: ctx.signal });
      ctx.state.discovered = discovered;
      ctx.state.fromVersion = discovered.installedVersion;
      if (discovered.maintenance) fail(ctx, 'maintenance mode is on: someone else is working on this instance', 'Finish that work and turn maintenance off, then run again.');
      if (!(await exists(ctx.host, source.oldTree))) fail(ctx, `the code tree of ${source.txid} is gone (${source.oldTree}); retention may have removed it`);
      const database = await databaseTarget(ctx);
      const method = databaseMethods[database.type]!;
      await verifyDatabaseSnapshot(ctx.host, database, source.snapshotDir, ctx.signal);
      await method.ping(ctx.host, database, ctx.signal);
      await checkServerSnapshot(ctx.host, ctx.instance, database, ctx.signal);
      if (!(await exists(ctx.host, `${source.snapshotDir}/config.sha256`))) fail(ctx, `the config snapshot of ${source.txid} is incomplete`);
      ctx.state.database = database;
      await checkDataSource(ctx, source);
      const workDir = join(dirname(ctx.instance.path), `.ncupd-${ctx.instance.name}`);
      await makePrivateDir(ctx.host, join(workDir, ctx.txid));
      ctx.state.workDir = workDir;
      ctx.state.stagedRoot = source.oldTree;
      ctx.state.oldRoot = join(workDir, ctx.txid, 'old');
      ctx.state.snapshotDir = `${ctx.config.stateDir}/snapshots/${ctx.instance.name}/${ctx.txid}`;
      ctx.state.targetVersion = source.version;
      // The restored instance is checked against what it was before the update that replaced it.
      const before = await readFacts(ctx.config.stateDir, ctx.instance.name, source.txid);
      ctx.state.integrityBaseline = before?.integrityBaseline ?? (await integrityBaseline(ctx));
      ctx.state.appsBefore = before?.appsBefore ?? Object.fromEntries(discovered.apps.filter((a) => a.enabled).map((a) => [a.id, { shipped: a.shipped }]));
      const { credentials: _secret, ...known } = database;
      const path = await writeFacts(ctx.config.stateDir, ctx.instance.name, ctx.txid, {
        fromVersion: discovered.installedVersion, targetVersion: source.version, snapshotDir: ctx.state.snapshotDir, database: known,
        integrityBaseline: ctx.state.integrityBaseline, appsBefore: ctx.state.appsBefore, workDir, oldRoot: ctx.state.oldRoot,
        ...(ctx.state.dataTarget ? { dataSnapshot: { method: ctx.state.dataMethod!, dataDir: ctx.state.dataTarget.dataDir, home: ctx.state.dataTarget.home } } : {}),
      });
      await ctx.journal.append({ type: 'facts', data: { path, restoredFrom: source.txid } });
    },
  };
}

/** In the window, after the code swap: config and database from the old snapshot; undone from the fresh one. */
export function restoreSnapshotStage(source: RestoreSource): Stage {
  return {
    name: 'restore', changesInstance: true, inWindow: true,
    timeoutMs: () => 3_600_000,
    async run(ctx) {
      const fresh = ctx.state.snapshotDir!;
      const database = ctx.state.database!;
      await ctx.undo.push({ kind: 'restore-database', name: 'put the database back as it was before the restore', data: { dir: fresh, type: database.type, database: database.name } });
      await ctx.undo.push({ kind: 'restore-config', name: 'put config back as it was before the restore', data: { dir: fresh } });
      await restoreConfig(ctx.host, `${source.snapshotDir}/config`, ctx.instance.path);
      if (source.withData && source.data) {
        const result = await dataMethods[source.data.method].restore(ctx.host, source.data, ctx.signal);
        if (result.replacedAt) ctx.emit({ type: 'note', message: `data directory put back from ${source.data.location}; the one it replaced (with what users wrote since) is kept at ${result.replacedAt}` });
      }
      await restoreDatabaseFrom(ctx.host, ctx.instance, database, source.snapshotDir, ctx.signal);
    },
  };
}
