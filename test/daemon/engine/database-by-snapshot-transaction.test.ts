// `ncupd now` with the database snapshotted by filesystem (issue 9): a private MariaDB whose data
// directory is a btrfs subvolume on a loop-mounted image, databaseSnapshot.method btrfs, and a
// failing migration. The rollback stops the server (through the configured stop command), swaps
// its data directory back and starts it: every row is back, and no dump was taken.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { privateMariadbServer } from '../../fixtures/harness/database-server.js';
import { mountBtrfsOrSkip, type LoopFs } from '../../fixtures/harness/loop-fs.js';
import { startPrivateMariadb, type PrivateMariadb } from '../../fixtures/harness/private-mariadb.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';
import { makeBed, type Bed } from './transaction-bed.js';

/**
 * The private server runs under this test process, so "systemctl stop mariadb" is a script that
 * asks the test (through files) to stop or start it and waits for the answer.
 */
function fileControl(server: PrivateMariadb) {
  const dir = mkdtempSync(join(tmpdir(), 'ncupd-dbctl-'));
  const script = (verb: string) => {
    const path = join(dir, `${verb}.sh`);
    writeFileSync(path, `#!/bin/sh\nrm -f ${dir}/${verb}-done\ntouch ${dir}/${verb}-request\ni=0\nwhile [ ! -e ${dir}/${verb}-done ]; do sleep 0.1; i=$((i+1)); [ $i -gt 1200 ] && exit 1; done\necho ${verb} >> ${dir}/calls\n`, { mode: 0o755 });
    return path;
  };
  const stop = script('stop');
  const start = script('start');
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    for (const [verb, act] of [['stop', () => server.stop()], ['start', () => server.start()]] as const) {
      if (!existsSync(join(dir, `${verb}-request`))) continue;
      busy = true;
      rmSync(join(dir, `${verb}-request`));
      void act().then(() => writeFileSync(join(dir, `${verb}-done`), ''), () => undefined).finally(() => { busy = false; });
      return;
    }
  }, 100);
  return { dir, stop, start, close: () => { clearInterval(timer); rmSync(dir, { recursive: true, force: true }); } };
}

describe('ncupd now with the database snapshotted by filesystem (MariaDB on loop-mounted btrfs)', function () {
  this.timeout(600_000);
  let fs: LoopFs | undefined;
  let server: PrivateMariadb | undefined;
  let control: ReturnType<typeof fileControl> | undefined;
  let bed: Bed | undefined;
  let admin: string | undefined;

  before(async function () {
    fs = await mountBtrfsOrSkip(this, 1024);
    server = await startPrivateMariadb({ parentDir: fs.mount, dataSubvolume: true });
    control = fileControl(server);
    admin = mkdtempSync(join(tmpdir(), 'ncupd-admin-'));
    writeFileSync(join(admin, 'admin.cnf'), `[client]\nuser=root\npassword="${server.rootPassword}"\nprotocol=SOCKET\nsocket=${server.socket}\n`, { mode: 0o600 });
  });
  after(async () => {
    await bed?.close();
    control?.close();
    await server?.destroy().catch(() => undefined);
    if (admin) rmSync(admin, { recursive: true, force: true });
    await fs?.close();
  });

  it('rolls back a failing migration by swapping the server\'s data directory back: every row as before, no dump taken', async () => {
    const settings = `{ method: btrfs, serverDataDir: ${server!.dataDir}, adminDefaultsFile: ${join(admin!, 'admin.cnf')}, stopCommand: [${control!.stop}], startCommand: [${control!.start}] }`;
    bed = await makeBed({ db: 'mysql', server: privateMariadbServer(server!), faults: ['failing-migration'], instanceConfig: { databaseSnapshot: settings } });
    const before = await instanceState(bed.instance);
    // ncupd check names btrfs under the server's data directory and says the snapshot applies (sole tenant).
    const checked = parseJson<{ dataSnapshot: { database: { storage: { kind: string }; serverSnapshot: { applies: boolean } } } }>((await runNcupd(['check', '--json', '--config', join(bed.work, 'config.yaml')])).stdout);
    assert.equal(checked.dataSnapshot.database.storage.kind, 'btrfs');
    assert.equal(checked.dataSnapshot.database.serverSnapshot.applies, true);
    const result = await bed.now(['--json']);
    const summary = parseJson<RunSummary>(result.stdout);
    assert.equal(summary.result, 'rolled-back', JSON.stringify(summary));
    assert.equal(summary.failedStage, 'upgrade');
    const after = await instanceState(bed.instance);
    assert.deepEqual(after.rows, before.rows, 'every row as before the update');
    assert.equal(after.code, before.code);
    assert.equal(after.config, before.config);
    const database = join(bed.stateDir, 'snapshots', 'cloud', summary.txid, 'database');
    assert.deepEqual(readdirSync(database), ['server.json'], 'the snapshot is the server\'s subvolume, not a dump');
    assert.ok(existsSync(join(control!.dir, 'calls')), 'the server was stopped and started through the configured commands');
  });
});
