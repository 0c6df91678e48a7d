import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../daemon/config/load-config.js';
import type { NcupdConfig } from '../../../daemon/config/schema.js';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import type { RolloutClock } from '../../../daemon/fleet/clock.js';

/** A config of `count` instances named node-01... in a fresh state directory, with the given rollout section. */
export function fleetConfig(count: number, rollout: Record<string, unknown>, stateDir = mkdtempSync(join(tmpdir(), 'ncupd-fleet-'))): NcupdConfig {
  const instances = Array.from({ length: count }, (_, i) => ({ name: `node-${String(i + 1).padStart(2, '0')}`, path: `/srv/node-${i + 1}` }));
  return parseConfig({ stateDir, instances, rollout }, 'test');
}

/** A clock whose time moves only when told, or when something sleeps on it (the sleep is recorded). */
export function fakeClock(start = Date.parse('2026-11-27T10:00:00Z')): RolloutClock & { advance(ms: number): void; readonly slept: number[] } {
  let time = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(time),
    advance: (ms) => {
      time += ms;
    },
    sleep: async (ms) => {
      slept.push(ms);
      time += ms;
    },
  };
}

/** A finished run of `instance` with `result`, as the engine reports it. */
export function summaryOf(instance: string, result: RunSummary['result']): RunSummary {
  const now = new Date().toISOString();
  return {
    txid: `20261127T100000Z-${Math.random().toString(16).slice(2, 8)}`, instance, startedAt: now, endedAt: now, result, from: '33.0.5.1',
    to: result === 'updated' || result === 'rolled-back' ? '33.0.6.1' : undefined, windowMs: undefined, stages: [],
    ...(result === 'rolled-back' ? { errorCode: 'NCUPD_UPGRADE_FAILED', failedStage: 'upgrade', message: 'occ upgrade failed' } : {}),
  } satisfies RunSummary;
}
