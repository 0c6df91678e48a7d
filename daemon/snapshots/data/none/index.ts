import type { DataSnapshotMethod } from '../method.js';

/**
 * The explicit opt-out: no data snapshot. A rollback puts back code, config and database; files
 * a failed migration changed stay changed. `ncupd check` and the status endpoint report it as a risk.
 */
export const noneDataMethod: DataSnapshotMethod = {
  id: 'none',
  exact: false,
  coversUserFiles: false,
  restoresLater: true,
  needsTools: [],
  async applies() {
    return { ok: true };
  },
  async spaceNeeded(_host, target) {
    return { path: target.dataDir, bytes: 0, inodes: 0 };
  },
  async take(_host, target, txid) {
    return { method: 'none', txid, dataDir: target.dataDir, location: '', replacedAt: '', extra: {}, createdAt: new Date().toISOString(), durationMs: 0, bytes: 0 };
  },
  async restore() {
    return { replacedAt: undefined, alreadyDone: true };
  },
  async remove() {
    return undefined;
  },
};
