import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendHistory, historyPath, readHistory } from '../../../daemon/engine/history.js';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';

function summary(txid: string, instance: string, result: RunSummary['result'] = 'updated'): RunSummary {
  return {
    txid, instance, result, from: '30.0.1', to: '30.0.2', startedAt: '2025-01-01T00:00:00.000Z', endedAt: '2025-01-01T00:05:00.000Z',
    windowMs: 1200, stages: [{ name: 'apply', ms: 300, status: 'done' }],
  };
}

describe('run history', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'ncupd-history-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is empty before the first run', async () => {
    assert.deepEqual(await readHistory(stateDir), []);
  });

  it('appends one line per run, 0600, and reads newest first with an instance filter and a limit', async () => {
    for (const [txid, instance] of [['t1', 'cloud'], ['t2', 'other'], ['t3', 'cloud'], ['t4', 'cloud']] as const) {
      await appendHistory(stateDir, summary(txid, instance));
    }
    assert.equal((await stat(historyPath(stateDir))).mode & 0o777, 0o600);
    assert.equal((await readFile(historyPath(stateDir), 'utf8')).split('\n').length, 5);
    assert.deepEqual((await readHistory(stateDir)).map((s) => s.txid), ['t4', 't3', 't2', 't1']);
    assert.deepEqual((await readHistory(stateDir, { instance: 'cloud' })).map((s) => s.txid), ['t4', 't3', 't1']);
    assert.deepEqual((await readHistory(stateDir, { instance: 'cloud', limit: 2 })).map((s) => s.txid), ['t4', 't3']);
    assert.deepEqual(await readHistory(stateDir, { limit: 0 }), []);
    assert.deepEqual((await readHistory(stateDir))[0], summary('t4', 'cloud'));
  });

  it('creates a missing state directory 0700', async () => {
    const dir = join(stateDir, 'new');
    await appendHistory(dir, summary('t1', 'cloud'));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  it('ignores a torn last line, and the next run starts on a fresh line', async () => {
    await appendHistory(stateDir, summary('t1', 'cloud'));
    await appendFile(historyPath(stateDir), '{"txid":"t2","instance":"cl');
    assert.deepEqual((await readHistory(stateDir)).map((s) => s.txid), ['t1']);
    await appendHistory(stateDir, summary('t3', 'cloud', 'rolled-back'));
    const read = await readHistory(stateDir);
    assert.deepEqual(read.map((s) => `${s.txid} ${s.result}`), ['t3 rolled-back', 't1 updated']);
  });

  it('keeps every line whole when runs finish at the same time', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendHistory(stateDir, summary(`t${i}`, 'cloud'))));
    assert.equal((await readHistory(stateDir)).length, 20);
  });
});
