import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { isFinished, listUnfinishedTransactions, MAX_RECORD_DATA_BYTES, openJournal, readJournal, scanJournal } from '../../../daemon/engine/journal.js';

const journalFailed = (e: unknown) => isNcupdError(e, 'NCUPD_JOURNAL_FAILED');

describe('transaction journal', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'ncupd-journal-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('creates <stateDir>/journal/<instance>/<txid>.jsonl, directories 0700 and the file 0600', async () => {
    const journal = await openJournal(join(stateDir, 'state'), 'cloud', 'tx1');
    await journal.close();
    assert.equal(journal.path, join(stateDir, 'state', 'journal', 'cloud', 'tx1.jsonl'));
    for (const dir of ['state', 'state/journal', 'state/journal/cloud']) assert.equal((await stat(join(stateDir, dir))).mode & 0o777, 0o700, dir);
    assert.equal((await stat(journal.path)).mode & 0o777, 0o600);
  });

  it('numbers concurrent appends strictly in order, each line durable and complete when append resolves', async () => {
    const journal = await openJournal(stateDir, 'cloud', 'tx1');
    const written = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append({ type: 'intent', step: `step-${i}`, data: { i } })));
    assert.deepEqual(written.map((r) => r.seq), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.deepEqual(written.map((r) => r.step), Array.from({ length: 50 }, (_, i) => `step-${i}`));
    assert.deepEqual(await journal.records(), written);
    const last = journal.append({ type: 'end' });
    await journal.close();
    assert.equal((await last).seq, 51, 'an append queued before close completes');
    const lines = (await readFile(journal.path, 'utf8')).split('\n');
    assert.equal(lines.length, 52);
    assert.equal(lines[51], '');
    await journal.close();
  });

  it('continues the seq numbers when a transaction is reopened (recovery)', async () => {
    const first = await openJournal(stateDir, 'cloud', 'tx1');
    await first.append({ type: 'begin' });
    await first.append({ type: 'intent', step: 'apply', data: { old: '/srv/.ncupd-cloud/old' } });
    await first.close();
    const again = await openJournal(stateDir, 'cloud', 'tx1');
    assert.equal((await again.append({ type: 'undo-intent', step: 'apply' })).seq, 3);
    await again.close();
    assert.deepEqual((await readJournal(again.path)).map((r) => r.type), ['begin', 'intent', 'undo-intent']);
  });

  it('ignores and reports a torn last line, and cuts it off before appending after a crash', async () => {
    const journal = await openJournal(stateDir, 'cloud', 'tx1');
    await journal.append({ type: 'begin' });
    await journal.append({ type: 'intent', step: 'apply' });
    await journal.close();
    const intact = (await stat(journal.path)).size;
    await appendFile(journal.path, '{"seq":3,"at":"2025-');
    const scanned = await scanJournal(journal.path);
    assert.equal(scanned.records.length, 2);
    assert.deepEqual(scanned.tornTail, { offset: intact, length: 20 });

    const reopened = await openJournal(stateDir, 'cloud', 'tx1');
    assert.deepEqual(reopened.repairedTail, { offset: intact, length: 20 });
    assert.equal((await reopened.append({ type: 'done', step: 'apply' })).seq, 3);
    await reopened.close();
    const after = await scanJournal(journal.path);
    assert.deepEqual(after.records.map((r) => r.type), ['begin', 'intent', 'done']);
    assert.equal(after.tornTail, undefined);
  });

  it('treats a newline-terminated last line of zeros (pages lost at a power cut) as torn too', async () => {
    const journal = await openJournal(stateDir, 'cloud', 'tx1');
    await journal.append({ type: 'begin' });
    await journal.close();
    await appendFile(journal.path, Buffer.concat([Buffer.alloc(30), Buffer.from('"}\n')]));
    const scanned = await scanJournal(journal.path);
    assert.equal(scanned.records.length, 1);
    assert.equal(scanned.tornTail?.length, 33);
  });

  it('reports corruption before the last line instead of guessing', async () => {
    const journal = await openJournal(stateDir, 'cloud', 'tx1');
    await journal.append({ type: 'begin' });
    await journal.close();
    await appendFile(journal.path, 'garbage\n{"seq":2,"at":"x","type":"end"}\n');
    await assert.rejects(readJournal(journal.path), journalFailed);
  });

  it('refuses oversized or non-JSON data with a coded error and stays usable', async () => {
    const journal = await openJournal(stateDir, 'cloud', 'tx1');
    await assert.rejects(journal.append({ type: 'intent', step: 'apply', data: { blob: 'x'.repeat(MAX_RECORD_DATA_BYTES) } }), journalFailed);
    await assert.rejects(journal.append({ type: 'intent', step: 'apply', data: { n: 1n } }), journalFailed);
    assert.equal((await journal.append({ type: 'begin' })).seq, 1);
    await journal.close();
    await assert.rejects(journal.append({ type: 'end' }), journalFailed);
  });

  it('refuses names that would leave the journal directory, and symlinked journal files', async () => {
    await assert.rejects(openJournal(stateDir, '../etc', 'tx1'), journalFailed);
    await assert.rejects(openJournal(stateDir, 'cloud', 'a/b'), journalFailed);
    await mkdir(join(stateDir, 'journal', 'cloud'), { recursive: true });
    await writeFile(join(stateDir, 'target'), '');
    await symlink(join(stateDir, 'target'), join(stateDir, 'journal', 'cloud', 'tx2.jsonl'));
    await assert.rejects(openJournal(stateDir, 'cloud', 'tx2'), journalFailed);
  });

  it('lists unfinished transactions (last record not end), oldest first, per instance or all', async () => {
    const write = async (instance: string, txid: string, types: ('begin' | 'intent' | 'end')[]) => {
      const journal = await openJournal(stateDir, instance, txid);
      for (const type of types) await journal.append({ type });
      await journal.close();
    };
    await write('cloud', 'tx-a', ['begin', 'intent', 'end']);
    await write('cloud', 'tx-b', ['begin', 'intent']);
    await write('other', 'tx-c', ['begin']);
    await write('other', 'tx-d', []);
    const all = await listUnfinishedTransactions(stateDir);
    assert.deepEqual(all.map((tx) => `${tx.instance}/${tx.txid}`), ['other/tx-d', 'cloud/tx-b', 'other/tx-c']);
    assert.deepEqual(all[1]?.records.map((r) => r.type), ['begin', 'intent']);
    assert.equal(all[1]?.path, join(stateDir, 'journal', 'cloud', 'tx-b.jsonl'));
    assert.deepEqual((await listUnfinishedTransactions(stateDir, 'cloud')).map((tx) => tx.txid), ['tx-b']);
    assert.deepEqual(await listUnfinishedTransactions(join(stateDir, 'none')), []);
    assert.equal(isFinished([]), false);
    assert.equal(isFinished(await readJournal(join(stateDir, 'journal', 'cloud', 'tx-a.jsonl'))), true);
  });

  describe('on a full disk', function () {
    const host = createLocalHost();
    let mounted: string | undefined;
    before(async function () {
      const dir = await mkdtemp(join(tmpdir(), 'ncupd-full-'));
      const result = await host.run({ file: 'mount', args: ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], reject: false });
      if (result.failed) this.skip(); // needs root; CI runs as root
      mounted = dir;
    });
    after(async () => {
      if (mounted) await host.run({ file: 'umount', args: [mounted] });
      if (mounted) await rm(mounted, { recursive: true, force: true });
    });

    it('throws NCUPD_JOURNAL_FAILED (ENOSPC), refuses further appends, and keeps the durable records readable', async () => {
      const journal = await openJournal(mounted ?? '', 'cloud', 'tx1');
      await journal.append({ type: 'begin' });
      const big = { blob: 'x'.repeat(MAX_RECORD_DATA_BYTES - 100) };
      await assert.rejects(async () => {
        for (let i = 0; i < 3; i++) await journal.append({ type: 'intent', step: `s${i}`, data: big });
      }, (e) => journalFailed(e) && (e.cause as NodeJS.ErrnoException).code === 'ENOSPC');
      await assert.rejects(journal.append({ type: 'end' }), journalFailed);
      await journal.close();
      const scanned = await scanJournal(journal.path);
      assert.equal(scanned.records[0]?.type, 'begin');
      assert.ok(scanned.records.length >= 1);
    });
  });
});
