import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { runLimited } from '../../../daemon/fleet/ring-runner.js';

describe('fleet: ring runner (concurrency limit)', () => {
  it('never runs more than `parallel` at once, and uses all of them', async () => {
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    const items = Array.from({ length: 23 }, (_, i) => i);
    await runLimited(items, async (i) => {
      running += 1;
      most = Math.max(most, running);
      await delay(2 + (i % 5));
      ran.push(i);
      running -= 1;
    }, { parallel: 4, shouldStop: () => false });
    assert.equal(most, 4);
    assert.deepEqual([...ran].sort((a, b) => a - b), items);
  });

  it('starts nothing after a stop, but lets the running ones finish', async () => {
    let stop = false;
    const finished: number[] = [];
    const { started } = await runLimited([0, 1, 2, 3, 4, 5, 6, 7], async (i) => {
      if (i === 1) stop = true;
      await delay(i === 0 ? 30 : 5);
      finished.push(i);
    }, { parallel: 2, shouldStop: () => stop });
    // 0 and 1 were started before the stop; 0 (slow) still ended.
    assert.deepEqual([...started].sort(), [0, 1]);
    assert.deepEqual([...finished].sort(), [0, 1]);
  });

  it('waits for the other workers before passing on an error', async () => {
    let slowEnded = false;
    await assert.rejects(runLimited([0, 1], async (i) => {
      if (i === 1) throw new Error('boom');
      await delay(30);
      slowEnded = true;
    }, { parallel: 2, shouldStop: () => false }), /boom/);
    assert.equal(slowEnded, true);
  });
});
