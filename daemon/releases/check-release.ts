import type { InstanceConfig } from '../config/schema.js';
import { discoverInstance, type DiscoverOptions, type DiscoveredInstance } from '../discovery/discover-instance.js';
import { compareVersions } from '../discovery/version-check.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import { decide, type PolicyVerdict, type Withheld } from '../policy/decide.js';
import type { ReleaseOffer } from './offer.js';
import { requestFacts, serverVersionParameter, updaterVersionParameter } from './update-request.js';
import { queryUpdateServer } from './update-server-client.js';
import { reportDataSnapshot, type DataSnapshotReport } from '../snapshots/data/detect.js';
import { dataTargetOf } from '../snapshots/data/target.js';
import { serverSnapshotApplies } from '../snapshots/database-server/index.js';

export interface CheckResult {
  readonly instance: DiscoveredInstance;
  readonly offer: ReleaseOffer | undefined;
  readonly verdict: PolicyVerdict;
  /** Facts worth an operator's eye that do not change the decision (a leftover .step, maintenance on). */
  readonly notices: readonly string[];
  /** Storage under the data directory and the database, and the data-snapshot method (issue 9); undefined if probing failed. */
  readonly dataSnapshot?: DataSnapshotReport;
}

async function storageReport(host: Host, config: InstanceConfig, instance: DiscoveredInstance, notices: string[], signal?: AbortSignal): Promise<DataSnapshotReport | undefined> {
  try {
    const sqlitePath = instance.dbType === 'sqlite3' ? `${instance.dataDirectory.replace(/\/+$/, '')}/${instance.dbName}.db` : undefined;
    const server = instance.db.socket ?? `${instance.db.host}${instance.db.port ? `:${instance.db.port}` : ''}`;
    const db = config.databaseSnapshot;
    let serverSnapshot: { applies: boolean; reason: string | undefined } | undefined;
    if (db.method === 'btrfs' && db.serverDataDir && (instance.dbType === 'mysql' || instance.dbType === 'pgsql')) {
      const verdict = await serverSnapshotApplies(host, { kind: instance.dbType, dataDir: db.serverDataDir, database: instance.dbName, mysqlDefaultsFile: db.adminDefaultsFile, pg: db.pgAdmin }, signal)
        .catch((error: unknown) => ({ ok: false as const, reason: error instanceof Error ? error.message : String(error) }));
      serverSnapshot = { applies: verdict.ok, reason: verdict.ok ? undefined : verdict.reason };
    }
    return await reportDataSnapshot(host, dataTargetOf(config, instance), config.dataSnapshot.method,
      { type: instance.dbType, sqlitePath, server, serverDataDir: db.method === 'btrfs' ? db.serverDataDir : undefined, serverSnapshot }, signal);
  } catch (error) {
    notices.push(`storage not probed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Stages 1 and 2 (discover, decide): read-only, nothing on the instance changes. */
export async function checkRelease(host: Host, config: InstanceConfig, options: DiscoverOptions = {}): Promise<CheckResult> {
  const instance = await discoverInstance(host, config, options);
  if (instance.installType.updatePath) {
    throw new NcupdError('NCUPD_INSTALL_TYPE_UNSUPPORTED', {
      instance: config.name, stage: 'discover',
      detail: `${config.path} is a ${instance.installType.type} install (${instance.installType.evidence})`,
      hint: `Update it through its own path: ${instance.installType.updatePath}.`,
    });
  }
  if (!instance.installed) throw new NcupdError('NCUPD_INSTANCE_NOT_INSTALLED', { instance: config.name, stage: 'discover', detail: `${config.path} is not installed (config.php installed is not true)` });
  const timeoutMs = config.download.timeoutSeconds * 1000;
  const facts = requestFacts(instance);
  const offer = await queryUpdateServer(instance.updateServerUrl, serverVersionParameter(facts), { timeoutMs, signal: options.signal, instance: config.name });
  const withheld: { stagedRollout?: ReleaseOffer } = {};
  if (!offer) {
    // The updater's request is inside every rollout: an answer to it that the instance did not get
    // means a staged rollout, which the empty body alone cannot say (contract pitfall 2).
    const asUpdater = await queryUpdateServer(instance.updateServerUrl, updaterVersionParameter(facts, instance.installedVersion), { timeoutMs, signal: options.signal, instance: config.name })
      .catch(() => undefined);
    if (asUpdater && compareVersions(asUpdater.version, instance.code.version) > 0) withheld.stagedRollout = asUpdater;
  }
  const notices: string[] = [];
  if (instance.maintenance) notices.push('maintenance mode is on');
  if (instance.updaterStep?.state === 'start') notices.push(`the official updater left ${instance.updaterStep.path} in state "start" (step ${instance.updaterStep.step ?? '?'}): a crashed or running updater`);
  if (instance.installType.type === 'git' && config.strategy !== 'git') notices.push(`git checkout (${instance.installType.evidence}): the ${config.strategy} strategy does not apply; use \`strategy: git\``);
  const dataSnapshot = await storageReport(host, config, instance, notices, options.signal);
  return { instance, offer, verdict: decide(instance, offer, config.policy, withheld satisfies Withheld), notices, dataSnapshot };
}
