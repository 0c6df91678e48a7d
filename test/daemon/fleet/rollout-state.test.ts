import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRolloutState, rolloutStatePath, writeRolloutState, type RolloutState } from '../../../daemon/fleet/rollout-state.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';

const sample: RolloutState = {
  id: '20261127T100000Z-abcdef', startedAt: '2026-11-27T10:00:00.000Z',
  rings: [{ name: 'canary', startedAt: '2026-11-27T10:00:00.000Z', completedAt: '2026-11-27T10:05:00.000Z' }, { name: 'rest' }],
  instances: { a: { ring: 'canary', status: 'done', result: 'updated', from: '33.0.5.1', to: '33.0.6.1' }, b: { ring: 'rest', status: 'pending' } },
};

describe('fleet: rollout state file', () => {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ncupd-rollout-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is absent before the first rollout, and reads back what was written (root only, no temp file left)', async () => {
    assert.equal(await readRolloutState(dir), undefined);
    await writeRolloutState(dir, sample);
    assert.deepEqual(await readRolloutState(dir), sample);
    assert.equal(statSync(rolloutStatePath(dir)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  });

  it('survives a restart: another process reads the same state', async () => {
    await writeRolloutState(dir, sample);
    const script = `import('${new URL('../../../daemon/fleet/rollout-state.js', import.meta.url).href}').then(async (m) => process.stdout.write(JSON.stringify(await m.readRolloutState(${JSON.stringify(dir)}))))`;
    const { createLocalHost } = await import('../../../daemon/hosts/local/index.js');
    const result = await createLocalHost().run({ file: process.execPath, args: ['-e', script] });
    assert.deepEqual(JSON.parse(result.stdout), sample);
  });

  it('is replaced atomically: a torn temp file from a crash does not change what is read', async () => {
    await writeRolloutState(dir, sample);
    // A crash after writing half of the temp file and before the rename leaves exactly this.
    writeFileSync(`${rolloutStatePath(dir)}.tmp`, '{"id": "half');
    assert.deepEqual(await readRolloutState(dir), sample);
    const next: RolloutState = { ...sample, halted: { at: '2026-11-27T10:06:00.000Z', ring: 'rest', instance: 'b', result: 'rolled-back', reason: 'occ upgrade failed' } };
    await writeRolloutState(dir, next);
    assert.deepEqual(await readRolloutState(dir), next);
    assert.equal(existsSync(`${rolloutStatePath(dir)}.tmp`), false);
  });

  it('refuses a garbled file instead of starting a new rollout silently', async () => {
    writeFileSync(rolloutStatePath(dir), 'not json');
    await assert.rejects(readRolloutState(dir), (error) => isNcupdError(error) && error.code === 'NCUPD_JOURNAL_FAILED');
    writeFileSync(rolloutStatePath(dir), '{"something": "else"}');
    await assert.rejects(readRolloutState(dir), (error) => isNcupdError(error) && error.code === 'NCUPD_JOURNAL_FAILED');
  });

});
