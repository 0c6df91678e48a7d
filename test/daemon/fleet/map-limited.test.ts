import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimited } from '../../../daemon/fleet/map-limited.js';

describe('mapLimited', () => {
  it('never runs more than the limit at once, and keeps the items\' order in the results', async () => {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: 12 }, (_, i) => i);
    const results = await mapLimited(items, 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await sleep((12 - item) * 2);
      running--;
      return item * 10;
    });
    assert.equal(peak, 3);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : null)), items.map((i) => i * 10));
  });

  it('keeps going after a failure and reports it in its place', async () => {
    const results = await mapLimited(['a', 'b', 'c'], 1, async (item) => {
      if (item === 'b') throw new Error('b is down');
      return item.toUpperCase();
    });
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /b is down/);
    assert.deepEqual(results[2], { status: 'fulfilled', value: 'C' });
  });

  it('refuses a limit below one', async () => {
    await assert.rejects(mapLimited([1], 0, async (x) => x), RangeError);
  });
});
