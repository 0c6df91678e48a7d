import type { DaemonStatus, InstanceStatus } from '../service/status-model.js';
import type { RolloutView } from '../fleet/rollout-view.js';
import type { InstanceRecord } from '../fleet/rollout-state.js';

/**
 * Copies exactly the fields of the model, so whatever else the daemon's objects carry at run time
 * (a full RunSummary with snapshot paths, a config object) never reaches `/status`. Typed as the
 * model: a field added there fails to compile here until it is decided whether it is public.
 */
function pickInstance(i: InstanceStatus): InstanceStatus {
  const run = i.lastRun;
  return {
    name: i.name, path: i.path, host: i.host, installedVersion: i.installedVersion, available: i.available,
    decision: i.decision, reason: i.reason, firstSeenAt: i.firstSeenAt, soakEndsAt: i.soakEndsAt,
    lastCheckAt: i.lastCheckAt, lastCheckError: i.lastCheckError,
    lastRun: run && {
      txid: run.txid, result: run.result, from: run.from, to: run.to, startedAt: run.startedAt, endedAt: run.endedAt,
      windowMs: run.windowMs, failedStage: run.failedStage, errorCode: run.errorCode, message: run.message,
    },
    maintenance: i.maintenance && { on: i.maintenance.on, since: i.maintenance.since },
    lastSnapshot: i.lastSnapshot && { txid: i.lastSnapshot.txid, ageSeconds: i.lastSnapshot.ageSeconds, sizeBytes: i.lastSnapshot.sizeBytes },
    nextWindow: i.nextWindow, windowOpen: i.windowOpen, paused: i.paused,
    rollbackCount: i.rollbackCount, updateCount: i.updateCount,
    running: i.running && { txid: i.running.txid, stage: i.running.stage, since: i.running.since },
    openTransactions: i.openTransactions,
    dataSnapshot: i.dataSnapshot && { method: i.dataSnapshot.method, recommended: i.dataSnapshot.recommended, risk: i.dataSnapshot.risk },
  };
}

function pickRecord(r: InstanceRecord): InstanceRecord {
  return { ring: r.ring, status: r.status, result: r.result, txid: r.txid, from: r.from, to: r.to, errorCode: r.errorCode, message: r.message, startedAt: r.startedAt, endedAt: r.endedAt };
}

function pickRollout(r: RolloutView): RolloutView {
  const h = r.halted;
  return {
    id: r.id, startedAt: r.startedAt, finishedAt: r.finishedAt, currentRing: r.currentRing, soakUntil: r.soakUntil,
    halted: h && { at: h.at, ring: h.ring, instance: h.instance, result: h.result, errorCode: h.errorCode, reason: h.reason },
    rings: r.rings.map((ring) => ({ name: ring.name, startedAt: ring.startedAt, completedAt: ring.completedAt,
      instances: Object.fromEntries(Object.entries(ring.instances).map(([name, record]) => [name, pickRecord(record)])) })),
  };
}

export function pickStatus(s: DaemonStatus): DaemonStatus {
  return {
    version: s.version, startedAt: s.startedAt, pid: s.pid, configPath: s.configPath, configLoadedAt: s.configLoadedAt,
    configError: s.configError, instances: s.instances.map(pickInstance),
    // Present only with rings configured, so the keys of a daemon without a rollout stay as they were.
    ...(s.rollout ? { rollout: pickRollout(s.rollout) } : {}),
  };
}

/** `/status` body: unknown values are `null`, so every key is always present for scripts (jq). */
export function renderStatusJson(status: DaemonStatus): string {
  return `${JSON.stringify(pickStatus(status), (_key, value: unknown) => (value === undefined ? null : value), 2)}\n`;
}
