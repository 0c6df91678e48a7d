// `ncupd now` with the hardlink data snapshot on ext4 (issue 9), the data directory inside the
// install root (Nextcloud's default): the archive swap carries it into the new tree by rename and
// back, and the restore-data undo then puts the hard-link tree in its place.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson } from '../../helpers/run-ncupd.js';
import { makeBed } from './transaction-bed.js';

describe('ncupd now with a hardlink data snapshot (ext4, data inside the root)', function () {
  this.timeout(600_000);

  it('rolls back a migration that changed app data: app data, user files and rows as before, the failed run\'s tree kept aside', async () => {
    const bed = await makeBed({ db: 'sqlite3', faults: ['failing-data-migration'], instanceConfig: { dataSnapshot: '{ method: hardlink }' } });
    try {
      const appdata = join(bed.instance.dataDir, `appdata_${bed.instance.instanceId}`);
      const before = await instanceState(bed.instance);
      const summary = parseJson<RunSummary>((await bed.now(['--json'])).stdout);
      assert.equal(summary.result, 'rolled-back', JSON.stringify(summary));
      assert.equal(summary.dataSnapshot?.method, 'hardlink');
      assert.equal(readFileSync(join(appdata, 'preview/1-64-64.png'), 'utf8'), 'preview');
      assert.equal(existsSync(join(appdata, 'theming')), false);
      const after = await instanceState(bed.instance);
      assert.equal(after.files, before.files);
      assert.deepEqual(after.rows, before.rows);
      assert.equal(after.code, before.code);
      assert.deepEqual(after.entries, before.entries, 'nothing of ncupd left in the root');
      const kept = join(dirname(bed.instance.root), '.ncupd-cloud', 'data-snapshots', summary.txid, 'data-replaced');
      assert.equal(readFileSync(join(kept, `appdata_${bed.instance.instanceId}`, 'theming/logo.svg'), 'utf8'), '<svg>33.0.6</svg>');
    } finally {
      await bed.close();
    }
  });
});
