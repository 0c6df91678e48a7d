// Retention removes a pruned run's data snapshot with its tool, keeps what a restore put aside,
// and never touches the data directory (issue 9). Real hard-link snapshots on ext4.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunContext } from '../../../../daemon/engine/context.js';
import { pruneByRetention } from '../../../../daemon/engine/retention.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { hardlinkDataMethod } from '../../../../daemon/snapshots/data/hardlink/index.js';
import { writeDataRecord } from '../../../../daemon/snapshots/data/record.js';
import { checkDataSpace } from '../../../../daemon/snapshots/data/space.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { treeHash } from '../../../helpers/tree-hash.js';
import { makeDataDir, targetFor } from './data-scenario.js';

const host = createLocalHost();

describe('data snapshots: retention and disk-space preflight', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ncupd-retention-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('prunes old runs\' data snapshots, keeps the newest and what a restore put aside, and leaves the data directory alone', async () => {
    const dataDir = join(base, 'data');
    makeDataDir(dataDir);
    const stateDir = join(base, 'state');
    const target = targetFor(dataDir);
    const txids = ['20261101T030000Z-aaaaaa', '20261102T030000Z-bbbbbb', '20261103T030000Z-cccccc'];
    const snapshots = [];
    for (const txid of txids) {
      const dir = join(stateDir, 'snapshots', 'cloud', txid);
      mkdirSync(dir, { recursive: true });
      const snapshot = await hardlinkDataMethod.take(host, target, txid);
      await writeDataRecord(host, dir, snapshot);
      snapshots.push(snapshot);
    }
    // The first run's snapshot was restored once by hand: what that replaced is the operator's.
    mkdirSync(snapshots[0]!.replacedAt);
    const before = treeHash(dataDir);
    const ctx = { host, config: { stateDir }, instance: { name: 'cloud', snapshots: { keep: 1 } }, state: {} } as unknown as RunContext;
    const removed = await pruneByRetention(ctx);
    assert.equal(removed.length, 2);
    assert.equal(existsSync(snapshots[0]!.location), false);
    assert.equal(existsSync(snapshots[1]!.location), false);
    assert.equal(existsSync(join(target.home, txids[1]!)), false, 'an emptied run folder goes');
    assert.ok(existsSync(snapshots[0]!.replacedAt), 'what a restore put aside stays');
    assert.ok(existsSync(snapshots[2]!.location), 'the newest run keeps its data snapshot');
    assert.equal(treeHash(dataDir), before);
  });

  it('refuses an update whose hard-link tree would not find the inodes it needs', async () => {
    // A 1 MiB tmpfs with 64 inodes: more folders than that cannot be linked.
    const small = join(base, 'small');
    mkdirSync(small);
    await host.run({ file: 'mount', args: ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=64', 'tmpfs', small] });
    try {
      const dataDir = join(small, 'data');
      for (let i = 0; i < 20; i++) mkdirSync(join(dataDir, `user${i}`, 'files'), { recursive: true });
      await assert.rejects(checkDataSpace(host, hardlinkDataMethod, targetFor(dataDir)), (e) => isNcupdError(e, 'NCUPD_PREFLIGHT_FAILED') && /inodes needed/.test(e.message + String((e as { detail?: string }).detail)));
    } finally {
      await host.run({ file: 'umount', args: [small], reject: false });
    }
  });
});
