// A StatusSource test double with realistic data: the daemon implements the real one (issue 7).
// Four instances: one updated, one rolled back, one in maintenance with its rollback waiting for
// the database, one paused with a major upgrade held. Times are relative to the double's creation.
import type { DaemonStatus, InstanceStatus, StatusSource } from '../../../daemon/service/status-model.js';
import { NcupdError } from '../../../daemon/errors/ncupd-error.js';

export const XSS_MESSAGE = 'occ upgrade exited 1: An unhandled exception has been thrown: <script>alert("pwned")</script> in app "calendar"';

export interface StatusDouble {
  readonly source: StatusSource;
  readonly status: DaemonStatus;
  /** Instance names passed to startRun, in order. */
  readonly startRunCalls: string[];
  /** Instances whose lock is held: startRun rejects with NCUPD_LOCKED. */
  readonly locked: Set<string>;
  setHealth(health: { ok: boolean; detail: string } | 'throw'): void;
  failStatus(error: Error | undefined): void;
  now: number;
}

export function createStatusDouble(now = Date.now()): StatusDouble {
  const at = (secondsFromNow: number): string => new Date(now + secondsFromNow * 1000).toISOString();
  const base = { host: 'local', firstSeenAt: undefined, soakEndsAt: undefined, lastCheckError: undefined, running: undefined, windowOpen: false,
    dataSnapshot: { method: 'btrfs', recommended: 'btrfs', risk: undefined } as InstanceStatus['dataSnapshot'] };
  const cloud: InstanceStatus = {
    ...base, name: 'cloud', path: '/var/www/nextcloud', installedVersion: '30.0.5', available: '30.0.5',
    decision: 'up-to-date', reason: 'installed is the newest release of the stable channel', lastCheckAt: at(-600),
    lastRun: { txid: '20250603T020011Z-cloud-7f3a', result: 'updated', from: '30.0.4', to: '30.0.5', startedAt: at(-7300), endedAt: at(-7200), windowMs: 48_250 },
    maintenance: { on: false, since: undefined },
    lastSnapshot: { txid: '20250603T020011Z-cloud-7f3a', ageSeconds: 7260, sizeBytes: 734_003_200 },
    nextWindow: at(79_200), paused: false, rollbackCount: 0, updateCount: 4, openTransactions: 0,
  };
  const familyRun: NonNullable<InstanceStatus['lastRun']> = {
    txid: '20250603T021502Z-family-c41d', result: 'rolled-back', from: '29.0.9', to: '30.0.5', startedAt: at(-6400), endedAt: at(-6200),
    windowMs: 131_400, failedStage: 'upgrade', errorCode: 'NCUPD_UPGRADE_FAILED', message: XSS_MESSAGE,
  };
  const family: InstanceStatus = {
    ...base, name: 'family', host: 'family-vm', path: '/srv/nextcloud', installedVersion: '29.0.9', available: '30.0.5',
    decision: 'update', reason: 'new major release, soak delay over', firstSeenAt: at(-9 * 86_400), soakEndsAt: at(-2 * 86_400), lastCheckAt: at(-900),
    lastRun: familyRun,
    maintenance: { on: false, since: undefined },
    lastSnapshot: { txid: '20250603T021502Z-family-c41d', ageSeconds: 6350, sizeBytes: 2_254_857_830 },
    nextWindow: at(80_100), paused: false, rollbackCount: 1, updateCount: 6, openTransactions: 0,
  };
  const office: InstanceStatus = {
    ...base, name: 'office', path: '/var/www/office', installedVersion: '30.0.4', available: '30.0.5',
    decision: 'update', reason: 'patch release, soak delay over', firstSeenAt: at(-4 * 86_400), lastCheckAt: at(-1200),
    lastRun: {
      txid: '20250603T030000Z-office-09be', result: 'rollback-failed', from: '30.0.4', to: '30.0.5', startedAt: at(-2700), endedAt: at(-2520),
      windowMs: undefined, failedStage: 'upgrade', errorCode: 'NCUPD_RESOURCE_UNAVAILABLE', message: 'restore waits for the database server 127.0.0.1:3306 (connection refused)',
    },
    maintenance: { on: true, since: at(-2520) },
    lastSnapshot: { txid: '20250603T030000Z-office-09be', ageSeconds: 2640, sizeBytes: 98_566_144 },
    nextWindow: undefined, paused: false, rollbackCount: 2, updateCount: 11, openTransactions: 1,
  };
  const archive: InstanceStatus = {
    ...base, name: 'archive', path: '/var/www/archive', installedVersion: '28.0.14', available: '29.0.9',
    decision: 'hold', reason: 'major upgrade 28 to 29 needs policy.major: auto', firstSeenAt: at(-40 * 86_400), lastCheckAt: at(-300),
    lastRun: undefined, maintenance: { on: false, since: undefined }, lastSnapshot: undefined,
    nextWindow: at(3 * 86_400), paused: true, rollbackCount: 0, updateCount: 0, openTransactions: 0,
    dataSnapshot: { method: 'none', recommended: 'hardlink', risk: 'the data directory is not snapshotted: a rollback restores code, config and database, but files a failed migration changed (app data, previews) stay changed' },
  };
  // The daemon may hand over its full RunSummary (structurally allowed): /status must not pass on the extra fields.
  const fullRun = { ...familyRun, instance: 'family', snapshotDir: '/var/lib/ncupd/snapshots/family/c41d', stages: [] };
  const familyWithExtras: InstanceStatus = { ...family, lastRun: fullRun };
  const status: DaemonStatus = {
    version: '0.1.0', startedAt: at(-3 * 86_400), pid: 4242, configPath: '/etc/ncupd/ncupd.yaml', configLoadedAt: at(-3 * 86_400),
    configError: undefined, instances: [cloud, familyWithExtras, office, archive],
  };

  let health: { ok: boolean; detail: string } | 'throw' = { ok: true, detail: 'scheduler ticking, state directory writable' };
  let statusError: Error | undefined;
  const startRunCalls: string[] = [];
  const locked = new Set<string>();
  let counter = 0;
  const source: StatusSource = {
    status: () => (statusError ? Promise.reject(statusError) : Promise.resolve(status)),
    health: () => (health === 'throw' ? Promise.reject(new Error('state directory check crashed')) : Promise.resolve(health)),
    startRun: (instance) => {
      startRunCalls.push(instance);
      if (!status.instances.some((i) => i.name === instance)) return Promise.reject(new NcupdError('NCUPD_INSTANCE_UNKNOWN', { detail: `no instance named ${instance}`, instance }));
      if (locked.has(instance)) {
        return Promise.reject(new NcupdError('NCUPD_LOCKED', { detail: `instance ${instance} is locked by pid 4242, transaction 20250603T030000Z-${instance}-09be`, instance }));
      }
      counter++;
      return Promise.resolve({ txid: `20250603T120000Z-${instance}-000${counter}` });
    },
  };
  return {
    source, status, startRunCalls, locked, now,
    setHealth: (value) => { health = value; },
    failStatus: (error) => { statusError = error; },
  };
}
