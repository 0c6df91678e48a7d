// Run summaries as the engine writes them, for the notifier tests: one success, one failure of each kind.
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import type { Notification } from '../../../daemon/notifiers/notifier.js';

const base = {
  txid: '20261127T030012Z-a1b2c3', instance: 'cloud', from: '33.0.5', to: '33.0.6',
  startedAt: '2026-11-27T03:00:12.000Z', endedAt: '2026-11-27T03:02:40.000Z',
} as const;

const stages = [
  { name: 'discover', ms: 310, status: 'done' }, { name: 'apply', ms: 1200, status: 'done' }, { name: 'upgrade', ms: 9000, status: 'done' },
] as const satisfies RunSummary['stages'];

export const updated: RunSummary = { ...base, result: 'updated', windowMs: 14_200, stages, snapshotDir: '/var/lib/ncupd/snapshots/cloud/20261127T030012Z-a1b2c3' };

export const rolledBack: RunSummary = {
  ...base, result: 'rolled-back', windowMs: 21_000, stages: [...stages.slice(0, 2), { name: 'upgrade', ms: 4000, status: 'failed' }],
  failedStage: 'upgrade', errorCode: 'NCUPD_UPGRADE_FAILED', message: 'occ upgrade exited 1: An unhandled exception has been thrown',
};

export const rollbackFailed: RunSummary = {
  ...rolledBack, result: 'rollback-failed', notUndone: ['database restore from /var/lib/ncupd/snapshots/cloud/x/db.sql (database server unreachable)'],
};

export const failedEarly: RunSummary = {
  ...base, result: 'failed', windowMs: undefined, stages: [{ name: 'download', ms: 30_000, status: 'failed' }],
  failedStage: 'download', errorCode: 'NCUPD_DOWNLOAD_FAILED', message: 'every download URL failed',
};

export const upToDate: RunSummary = { ...base, result: 'up-to-date', to: undefined, windowMs: undefined, stages: [] };
export const held: RunSummary = { ...base, result: 'held', windowMs: undefined, stages: [], message: 'soak: offered 2 h ago, waiting 72 h' };
export const blocked: RunSummary = { ...base, result: 'blocked', windowMs: undefined, stages: [], message: 'major 34 needs approval' };

export const run = (summary: RunSummary): Notification => ({ kind: 'run', summary });
export const alert: Notification = {
  kind: 'alert', instance: 'cloud', message: 'cloud: rollback waits for the database server at 127.0.0.1:3306; the instance stays in maintenance mode until it is back',
  txid: base.txid, at: '2026-11-27T03:03:00.000Z',
};
