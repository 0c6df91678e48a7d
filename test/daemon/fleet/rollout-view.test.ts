import assert from 'node:assert/strict';
import { rolloutLines, viewRollout } from '../../../daemon/fleet/rollout-view.js';
import type { RolloutState } from '../../../daemon/fleet/rollout-state.js';
import { pickStatus } from '../../../daemon/status/status-json.js';
import { renderMetrics } from '../../../daemon/status/metrics.js';
import type { DaemonStatus } from '../../../daemon/service/status-model.js';

const state: RolloutState = {
  id: '20261127T100000Z-abcdef', startedAt: '2026-11-27T10:00:00.000Z',
  rings: [{ name: 'canary', startedAt: '2026-11-27T10:00:00.000Z', completedAt: '2026-11-27T10:05:00.000Z' }, { name: 'rest' }],
  instances: {
    a: { ring: 'canary', status: 'done', result: 'updated', from: '33.0.5.1', to: '33.0.6.1' },
    b: { ring: 'rest', status: 'pending' },
    c: { ring: 'rest', status: 'failed', result: 'rolled-back', from: '33.0.5.1', to: '33.0.6.1', errorCode: 'NCUPD_UPGRADE_FAILED' },
  },
};

describe('fleet: rollout view (status lines and /status)', () => {
  it('shows the soak end before the next ring, every instance under its ring', () => {
    const view = viewRollout(state, { soakMinutes: 30 });
    assert.equal(view.currentRing, 'rest');
    assert.equal(view.soakUntil, '2026-11-27T10:35:00.000Z');
    const lines = rolloutLines(view, new Date('2026-11-27T10:10:00Z'));
    assert.match(lines[0]!, /soaking until 2026-11-27T10:35:00\.000Z before ring rest/);
    assert.ok(lines.includes('    a: updated 33.0.5.1 -> 33.0.6.1'));
    assert.ok(lines.includes('    c: rolled-back 33.0.5.1 -> 33.0.6.1 (NCUPD_UPGRADE_FAILED)'));
    assert.ok(lines.includes('    b: pending'));
  });

  it('names the halt and what to do', () => {
    const halted = viewRollout({ ...state, halted: { at: '2026-11-27T10:07:00.000Z', ring: 'rest', instance: 'c', result: 'rolled-back', errorCode: 'NCUPD_UPGRADE_FAILED', reason: 'occ upgrade failed\nsecond line' } }, { soakMinutes: 30 });
    const text = rolloutLines(halted).join('\n');
    assert.match(text, /HALTED/);
    assert.match(text, /c \(ring rest\) ended rolled-back \(NCUPD_UPGRADE_FAILED\): occ upgrade failed$/m);
    assert.match(text, /ncupd rollout resume/);
  });

  it('passes the rollout to /status with the model\'s fields only, and no key without a rollout', () => {
    const base: DaemonStatus = { version: '1', startedAt: 'x', pid: 1, configPath: '/c', configLoadedAt: 'x', configError: undefined, instances: [] };
    assert.equal('rollout' in pickStatus(base), false);
    const view = viewRollout(state, { soakMinutes: 30 });
    const extra = { ...view, secretPath: '/var/lib/ncupd/x', rings: view.rings.map((r) => ({ ...r, instances: Object.fromEntries(Object.entries(r.instances).map(([n, rec]) => [n, { ...rec, snapshotDir: '/var/lib/ncupd/snapshots' }])) })) };
    const text = JSON.stringify(pickStatus({ ...base, rollout: extra }));
    assert.ok(!text.includes('/var/lib/ncupd'), text);
    assert.ok(text.includes('"currentRing":"rest"'));
  });

  it('exposes the halt and the soak as metrics, with no sample without a rollout', async () => {
    const base: DaemonStatus = { version: '1', startedAt: '2026-11-27T09:00:00.000Z', pid: 1, configPath: '/c', configLoadedAt: '2026-11-27T09:00:00.000Z', configError: undefined, instances: [] };
    const none = (await renderMetrics(base)).body;
    assert.doesNotMatch(none, /^ncupd_rollout_halted\{/m);
    const soaking = (await renderMetrics({ ...base, rollout: viewRollout(state, { soakMinutes: 30 }) })).body;
    assert.match(soaking, /^ncupd_rollout_halted\{rollout="20261127T100000Z-abcdef"\} 0$/m);
    assert.match(soaking, new RegExp(`^ncupd_rollout_soak_until_timestamp_seconds\\{rollout="20261127T100000Z-abcdef",ring="rest"\\} ${Date.parse('2026-11-27T10:35:00Z') / 1000}$`, 'm'));
    const halted = (await renderMetrics({ ...base, rollout: viewRollout({ ...state, halted: { at: 'x', ring: 'rest', instance: 'c', result: 'rolled-back', reason: 'r' } }, { soakMinutes: 30 }) })).body;
    assert.match(halted, /^ncupd_rollout_halted\{rollout="20261127T100000Z-abcdef"\} 1$/m);
  });
});
