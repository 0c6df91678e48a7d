// `ncupd now` over SSH end to end (issue 6): the transaction bed's fixture instance (SQLite,
// archive strategy) reached through the real sshd harness on loopback. The release is
// downloaded and verified on this machine, copied over SFTP and re-checked on the target.
// Limit, said plainly: on loopback the "remote" files are also this machine's, so a stage that
// wrongly used local files would not be caught here; netns-transaction.test.ts runs against a
// second host whose install root exists only there (docs/ssh.md, "Testing").
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { FULL_TIER } from '../../../helpers/tier.js';
import { assertRolledBack, assertUpdated, recordBefore, ROLLBACK_FAULTS } from '../../engine/transaction-cases.js';
import { makeBed } from '../../engine/transaction-bed.js';

// On loopback the target's files are this machine's, so the shared assertions read them here.
const host = createLocalHost('loopback-target');

describe('ncupd now over SSH (loopback sshd, root login, SQLite, archive strategy)', function () {
  this.timeout(600_000);
  let server: SshdServer | undefined;
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
  });
  after(async () => server?.stop());

  const sshOption = () => ({ host: server!.host, port: server!.port, user: 'root', identityFile: server!.privateKeyPath, knownHostsFile: server!.knownHostsPath });

  it('updates the instance exactly as locally, the archive copy checked in the run folder on the target', async () => {
    const bed = await makeBed({ db: 'sqlite3', strategy: 'archive', ssh: sshOption() });
    try {
      const before = await recordBefore(bed, host);
      const summary = await assertUpdated(bed, host, await bed.now(['--json']), before);
      // The copy sent over SFTP sat in the run's private folder on the target, not in the cache.
      const copy = join(dirname(bed.instance.root), '.ncupd-cloud', summary.txid, 'download', 'nextcloud-33.0.6.zip');
      assert.ok(await host.exists(copy), `the archive copy is in the run folder (${copy})`);
    } finally {
      await bed.close();
    }
  });

  // Full tier (npm run test:full, npm run test:ssh): the default tier keeps one SSH transaction per login kind.
  (FULL_TIER ? it : it.skip)('rolls back a failing migration exactly as locally: code, config, rows and files as before', async () => {
    const fault = ROLLBACK_FAULTS[0];
    const bed = await makeBed({ db: 'sqlite3', strategy: 'archive', faults: [...fault.faults], ssh: sshOption() });
    try {
      const before = await recordBefore(bed, host);
      await assertRolledBack(bed, host, await bed.now(['--json']), before, { db: 'sqlite3', strategy: 'archive', fault });
    } finally {
      await bed.close();
    }
  });
});
