import assert from 'node:assert/strict';
import type { Journal } from '../../../daemon/engine/journal.js';
import type { JournalRecord } from '../../../daemon/engine/journal-types.js';
import { pendingUndoFrom, UndoStack, type PendingUndo, type UndoStep } from '../../../daemon/engine/undo-stack.js';

type Append = Journal['append'];

/** A journal that keeps its records in memory, numbered like the real one, and notes the stack size at each append. */
function recordingJournal(sizeNow: () => number = () => -1, records: JournalRecord[] = []) {
  const sizes: number[] = [];
  const append: Append = async (record) => {
    sizes.push(sizeNow());
    const written: JournalRecord = { ...record, seq: records.length + 1, at: new Date(0).toISOString() };
    records.push(written);
    return written;
  };
  return { records, sizes, journal: { append } };
}

const steps: Record<string, UndoStep> = {
  staging: { kind: 'remove-path', name: 'remove the staged release', data: { path: '/srv/.ncupd/stage' } },
  maintenance: { kind: 'maintenance-off', name: 'turn maintenance mode off', last: true },
  database: { kind: 'restore-database', name: 'restore the database', data: { snapshot: '/var/lib/ncupd/snap/1' } },
  tree: { kind: 'move-back', name: 'move the old tree back', data: { from: '/srv/old', to: '/srv/nextcloud' } },
  cron: { kind: 'cron-on', name: 'enable cron again', last: true, data: { unit: 'nextcloud-cron.timer' } },
};

async function stackWith(names: readonly string[]) {
  // The closure runs only inside push(), after `stack` exists.
  const fake = recordingJournal(() => stack.size);
  const stack = new UndoStack(fake.journal);
  for (const name of names) await stack.push(steps[name]!);
  return { stack, ...fake };
}

describe('UndoStack', () => {
  it('journals an undo-push record (the step as data) before the step is on the stack', async () => {
    const { stack, records, sizes } = await stackWith(['staging', 'database']);
    assert.deepEqual(sizes, [0, 1], 'the stack size seen by each append: the step was not on it yet');
    assert.equal(stack.size, 2);
    assert.deepEqual(stack.names(), ['remove the staged release', 'restore the database']);
    assert.deepEqual(records.map(({ type, step, data }) => ({ type, step, data })), [
      { type: 'undo-push', step: 'remove the staged release', data: { id: 'u1', kind: 'remove-path', last: false, args: { path: '/srv/.ncupd/stage' } } },
      { type: 'undo-push', step: 'restore the database', data: { id: 'u2', kind: 'restore-database', last: false, args: { snapshot: '/var/lib/ncupd/snap/1' } } },
    ]);
  });

  it('records last: true and empty args for a step without data', async () => {
    const { records } = await stackWith(['maintenance']);
    assert.deepEqual(records[0]?.data, { id: 'u1', kind: 'maintenance-off', last: true, args: {} });
  });

  it('a push whose journal append fails rejects with that error and leaves the step off the stack', async () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    let appended = 0;
    const stack = new UndoStack({ append: async () => { appended++; throw full; } });
    await assert.rejects(stack.push(steps.staging!), (e) => e === full);
    assert.equal(appended, 1);
    assert.equal(stack.size, 0);
    assert.deepEqual(stack.names(), []);
    const ran: string[] = [];
    assert.deepEqual(await stack.unwind(async (s) => { ran.push(s.name); }), []);
    assert.deepEqual(await stack.unwind(async (s) => { ran.push(s.name); }, true), []);
    assert.deepEqual(ran, [], 'an undo that was never journaled is never run');
  });

  it('unwinds newest first, the `last` steps only in the second phase', async () => {
    const { stack } = await stackWith(['staging', 'maintenance', 'database', 'cron', 'tree']);
    const ran: PendingUndo[] = [];
    assert.deepEqual(await stack.unwind(async (s) => { ran.push(s); }), []);
    assert.deepEqual(ran.map((s) => s.name), ['move the old tree back', 'restore the database', 'remove the staged release']);
    assert.deepEqual(ran.map((s) => s.id), ['u5', 'u3', 'u1']);
    assert.deepEqual(ran[0]?.data, steps.tree!.data);
    assert.deepEqual(stack.names(), ['turn maintenance mode off', 'enable cron again'], 'only the last steps remain');
    ran.length = 0;
    assert.deepEqual(await stack.unwind(async (s) => { ran.push(s); }, true), []);
    assert.deepEqual(ran.map((s) => s.name), ['enable cron again', 'turn maintenance mode off']);
    assert.equal(stack.size, 0);
  });

  it('stops at the first failure: the failed step and those below it stay, reported as waiting', async () => {
    const { stack } = await stackWith(['staging', 'database', 'tree', 'maintenance']);
    const failure = new Error('mv: cannot move');
    const ran: string[] = [];
    const failures = await stack.unwind(async (s) => {
      ran.push(s.name);
      if (s.name === 'move the old tree back') throw failure;
    });
    // A move back below a failed swap back would act on the wrong tree: nothing below a failure runs.
    assert.deepEqual(ran, ['move the old tree back']);
    assert.equal(failures.length, 3);
    assert.deepEqual(failures[0], { step: 'move the old tree back', error: failure });
    assert.deepEqual(failures.slice(1).map((f) => f.step), ['restore the database', 'remove the staged release']);
    for (const f of failures.slice(1)) assert.match(String(f.error), /not attempted: it waits for "move the old tree back"/);
    assert.deepEqual(stack.names(), ['remove the staged release', 'restore the database', 'move the old tree back', 'turn maintenance mode off'],
      'every step not undone stays for the next attempt');
    const second = await stack.unwind(async (s) => {
      ran.push(s.name);
    });
    assert.deepEqual(second, []);
    assert.deepEqual(stack.names(), ['turn maintenance mode off']);
  });
});

describe('UndoStack barriers', () => {
  it('goes on after a failed step that is no barrier, and stops after a failed barrier', async () => {
    const { stack } = await stackWith(['staging', 'database', 'tree', 'maintenance']);
    const ran: string[] = [];
    const barrier = (s: { name: string }) => s.name === 'move the old tree back';
    const failures = await stack.unwind(async (s) => {
      ran.push(s.name);
      if (s.name === 'restore the database') throw new Error('config copy failed');
    }, false, barrier);
    assert.deepEqual(ran, ['move the old tree back', 'restore the database', 'remove the staged release'], 'an independent failure does not stop the rest');
    assert.deepEqual(failures.map((f) => f.step), ['restore the database']);
    const { stack: second } = await stackWith(['staging', 'database', 'tree', 'maintenance']);
    const ran2: string[] = [];
    const stopped = await second.unwind(async (s) => {
      ran2.push(s.name);
      if (s.name === 'move the old tree back') throw new Error('rename failed');
    }, false, barrier);
    assert.deepEqual(ran2, ['move the old tree back'], 'nothing below a failed barrier runs');
    assert.deepEqual(stopped.map((f) => f.step), ['move the old tree back', 'restore the database', 'remove the staged release']);
  });
});

describe('pendingUndoFrom', () => {
  /** A journal like a crashed rollback leaves: pushes interleaved with stage and undo records. */
  async function crashedJournal() {
    const { stack, records, journal } = await stackWith(['staging', 'maintenance']);
    await journal.append({ type: 'done', step: 'preflight' });
    await stack.push(steps.database!);
    await stack.push(steps.tree!);
    await stack.push(steps.cron!);
    await journal.append({ type: 'failed', step: 'upgrade', data: { code: 'NCUPD_UPGRADE_FAILED' } });
    // u5 undone; u4 attempted and failed; u3 started (undo-intent) when the crash came.
    await journal.append({ type: 'undo-intent', step: 'enable cron again', data: { id: 'u5' } });
    await journal.append({ type: 'undo-done', step: 'enable cron again', data: { id: 'u5' } });
    await journal.append({ type: 'undo-intent', step: 'move the old tree back', data: { id: 'u4' } });
    await journal.append({ type: 'undo-failed', step: 'move the old tree back', data: { id: 'u4', error: 'mv: cannot move' } });
    await journal.append({ type: 'undo-intent', step: 'restore the database', data: { id: 'u3' } });
    return records;
  }

  it('rebuilds exactly the pushed steps without an undo-done (an undo-failed one included), in push order, keeping ids', async () => {
    const pending = pendingUndoFrom(await crashedJournal());
    const shape = (s: PendingUndo) => ({ id: s.id, kind: s.kind, name: s.name, last: Boolean(s.last), data: s.data ?? {} });
    const pushed = (id: string, step: UndoStep) => ({ id, kind: step.kind, name: step.name, last: Boolean(step.last), data: step.data ?? {} });
    assert.deepEqual(pending.map(shape), [
      pushed('u1', steps.staging!), pushed('u2', steps.maintenance!), pushed('u3', steps.database!), pushed('u4', steps.tree!),
    ]);
  });

  it('finds nothing owed when there was no push, or every push was undone', async () => {
    assert.deepEqual(pendingUndoFrom([]), []);
    const { records, journal } = await stackWith(['staging', 'tree']);
    await journal.append({ type: 'undo-done', step: 'move the old tree back', data: { id: 'u2' } });
    await journal.append({ type: 'undo-done', step: 'remove the staged release', data: { id: 'u1' } });
    assert.deepEqual(pendingUndoFrom(records), []);
  });

  it('a stack restored from the journal unwinds the owed steps in the same order', async () => {
    const restored = new UndoStack(recordingJournal().journal, pendingUndoFrom(await crashedJournal()));
    assert.deepEqual(restored.names(), ['remove the staged release', 'turn maintenance mode off', 'restore the database', 'move the old tree back']);
    const ran: string[] = [];
    assert.deepEqual(await restored.unwind(async (s) => { ran.push(s.id); }), []);
    assert.deepEqual(await restored.unwind(async (s) => { ran.push(s.id); }, true), []);
    assert.deepEqual(ran, ['u4', 'u3', 'u1', 'u2']);
  });

  it('a restored stack continues the ids without colliding with any id in the journal (an undone one included)', async () => {
    const records = await crashedJournal();
    // Recovery reopens the same journal: the new push lands after the old records.
    const restored = UndoStack.fromJournal(recordingJournal(() => -1, records).journal, records);
    await restored.push(steps.staging!);
    const pushedIds = records.filter((r) => r.type === 'undo-push').map((r) => r.data?.id);
    // Ids continue after every id ever pushed (u5 was undone): a reused id would count as undone after a second crash.
    assert.equal(new Set(pushedIds).size, pushedIds.length, `duplicate undo ids in one transaction: ${pushedIds.join(', ')}`);
    // The consequence after a second crash: the new step counts as undone and would never be run.
    assert.equal(pendingUndoFrom(records).length, 5, 'the step pushed during recovery is owed too');
  });

  it('continues after the highest restored id even when it is not the last one', () => {
    const restored = [
      { id: 'u7', kind: 'remove-path', name: 'a' },
      { id: 'u2', kind: 'remove-path', name: 'b' },
    ] satisfies PendingUndo[];
    const fake = recordingJournal();
    const stack = new UndoStack(fake.journal, restored);
    return stack.push(steps.staging!).then(() => assert.equal(fake.records[0]?.data?.id, 'u8'));
  });
});
