// A sample of the crash-safety matrix (issue 5) for `npm test`; `npm run test:faults` runs all of it.
import assert from 'node:assert/strict';
import { allCases, SAMPLE_IDS } from './fault-cases.js';
import { runFaultCase } from './run-case.js';

describe('crash safety: a sample of the fault matrix', function () {
  this.timeout(600_000);
  const cases = allCases(['sqlite3', 'mysql']).filter((c) => SAMPLE_IDS.includes(c.id));
  it('has every sampled case in the matrix', () => {
    assert.deepEqual(cases.map((c) => c.id).sort(), [...SAMPLE_IDS].sort());
  });
  for (const c of cases) {
    it(`${c.id}: after the fault and recovery the instance is whole`, async () => {
      const outcome = await runFaultCase(c);
      assert.deepEqual(outcome.problems, [], `${c.id} ended ${outcome.ended}: ${outcome.summary}`);
      assert.ok(outcome.whole);
    });
  }
});
