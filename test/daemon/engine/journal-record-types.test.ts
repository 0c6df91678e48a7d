import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { openJournal, parseJournal, readJournal } from '../../../daemon/engine/journal.js';
import type { JournalRecord } from '../../../daemon/engine/journal-types.js';

const lines = (...records: object[]) => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
const at = '2025-06-01T10:00:00.000Z';

// The records crash recovery added (issue 5), each as the code that writes it shapes it.
const recoveryRecords: JournalRecord[] = [
  { seq: 1, at, type: 'begin', data: { instance: 'cloud', strategy: 'archive', dryRun: false } },
  { seq: 2, at, type: 'undo-push', step: 'remove the staged tree', data: { id: 'u1', kind: 'remove-staged-tree', last: false, args: { path: '/srv/.ncupd' } } },
  { seq: 3, at, type: 'facts', data: { path: '/var/lib/ncupd/journal/cloud/tx-1.facts.json' } },
  { seq: 4, at, type: 'failed', step: 'snapshot', data: { code: 'NCUPD_SNAPSHOT_FAILED', message: 'x' } },
  { seq: 5, at, type: 'undo-intent', step: 'restore the database', data: { id: 'u2' } },
  { seq: 6, at, type: 'wait', step: 'database', data: { what: 'mysql at localhost:3306' } },
  { seq: 7, at, type: 'recover', data: { pid: 4242, interruptedAt: 'a rollback waiting for the database' } },
  { seq: 8, at, type: 'undo-failed', step: 'restore the database', data: { id: 'u2', error: 'mysql: gone' } },
  { seq: 9, at, type: 'undo-done', step: 'remove the staged tree', data: { id: 'u1' } },
];

describe('journal: the record types of crash recovery', () => {
  it('parseJournal accepts undo-push, facts, wait and recover lines, keeping every field', () => {
    const parsed = parseJournal(lines(...recoveryRecords), '/j.jsonl');
    assert.deepEqual(parsed.records, recoveryRecords);
    assert.equal(parsed.tornTail, undefined);
  });

  it('each new type alone is a record, not a torn tail', () => {
    for (const type of ['undo-push', 'facts', 'wait', 'recover'] as const) {
      const parsed = parseJournal(lines({ seq: 1, at, type, step: type === 'wait' ? 'database' : undefined, data: {} }), '/j.jsonl');
      assert.equal(parsed.records.length, 1, type);
      assert.equal(parsed.records[0]?.type, type);
      assert.equal(parsed.tornTail, undefined, type);
    }
  });

  it('still refuses an unknown type: as a torn tail when last, as corruption before the last line', () => {
    const unknown = { seq: 2, at, type: 'undo-pushed', data: {} };
    const asTail = parseJournal(lines(recoveryRecords[0]!, unknown), '/j.jsonl');
    assert.equal(asTail.records.length, 1);
    assert.ok(asTail.tornTail);
    assert.throws(() => parseJournal(lines(recoveryRecords[0]!, unknown, { ...recoveryRecords[2]!, seq: 3 }), '/j.jsonl'),
      (e) => isNcupdError(e, 'NCUPD_JOURNAL_FAILED'));
  });

  it('a real journal writes and reads them back', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'ncupd-journal-types-'));
    try {
      const journal = await openJournal(stateDir, 'cloud', 'tx-1');
      for (const { type, step, data } of recoveryRecords) await journal.append({ type, step, data });
      await journal.close();
      const read = await readJournal(journal.path);
      assert.deepEqual(read.map(({ seq, type, step, data }) => ({ seq, type, step, data })),
        recoveryRecords.map(({ seq, type, step, data }) => ({ seq, type, step, data })));
      const reopened = await openJournal(stateDir, 'cloud', 'tx-1');
      assert.equal((await reopened.append({ type: 'recover', data: { pid: 1 } })).seq, recoveryRecords.length + 1);
      await reopened.close();
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
