// The benchmark's entry point (issue 9) on a small tree: it takes, restores and removes, and the
// data directory ends as it began (the live one moved aside by restore stays in the home folder).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { timeDataSnapshot } from '../../../../daemon/snapshots/data/time-method.js';
import { treeHash } from '../../../helpers/tree-hash.js';
import { makeDataDir, targetFor } from './data-scenario.js';

describe('timeDataSnapshot (the benchmark\'s API)', () => {
  for (const method of ['hardlink', 'appdata', 'none'] as const) {
    it(`times ${method} on ext4 and leaves the data directory as it was`, async () => {
      const base = mkdtempSync(join(tmpdir(), 'ncupd-bench-'));
      try {
        const dataDir = join(base, 'data');
        makeDataDir(dataDir);
        const before = treeHash(dataDir);
        const timing = await timeDataSnapshot(createLocalHost(), method, targetFor(dataDir));
        assert.equal(timing.method, method);
        assert.ok(timing.takeMs >= 0 && timing.restoreMs >= 0 && timing.removeMs >= 0);
        assert.equal(treeHash(dataDir), before);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });
  }
});
