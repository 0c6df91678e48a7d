import assert from 'node:assert/strict';
import { runNcupd } from '../helpers/run-ncupd.js';

// The README's main job: `ncupd demo` shows one update that succeeds and one that is rolled back.
describe('ncupd demo', function () {
  this.timeout(600_000);
  it('updates the sandbox, then rolls back a broken release, and says so', async () => {
    const result = await runNcupd(['demo'], { timeoutMs: 600_000 });
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /first run: {2}updated \(33\.0\.5\.1 -> 33\.0\.6\.1\)/);
    assert.match(result.stdout, /second run: rolled-back at stage upgrade \(NCUPD_UPGRADE_FAILED\)/);
    assert.match(result.stdout, /the instance now runs 33\.0\.6, maintenance off, every database row as before the broken update/);
  });
});
