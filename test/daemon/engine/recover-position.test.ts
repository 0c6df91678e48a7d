import assert from 'node:assert/strict';
import type { JournalRecord } from '../../../daemon/engine/journal-types.js';
import { positionOf } from '../../../daemon/engine/recover.js';

type Line = [JournalRecord['type'], string?, Record<string, unknown>?];

/** A journal from [type, step, data] rows, numbered as the real one. */
function journal(...lines: Line[]): JournalRecord[] {
  return lines.map(([type, step, data], i) => ({ seq: i + 1, at: new Date(i * 1000).toISOString(), type, step, data }));
}

// The stage table's order (daemon/engine/stage-table.ts), as a run journals it.
const prepared: Line[] = [
  ['begin', undefined, { instance: 'cloud', strategy: 'archive', dryRun: false }],
  ['done', 'discover'], ['done', 'download'],
  ['undo-push', 'remove the staged tree', { id: 'u1', kind: 'remove-staged-tree', last: false, args: { path: '/srv/.ncupd' } }],
  ['done', 'stage'],
  ['facts', undefined, { path: '/var/lib/ncupd/journal/cloud/tx.facts.json' }],
  ['done', 'preflight'],
];
const windowOpen: Line[] = [
  ...prepared,
  ['intent', 'maintenance-on'],
  ['undo-push', 'turn maintenance mode off', { id: 'u2', kind: 'maintenance-off', last: true, args: {} }],
  ['done', 'maintenance-on'], ['done', 'wait-cron'],
  ['intent', 'snapshot'],
  ['undo-push', 'restore the database from the snapshot', { id: 'u3', kind: 'restore-database', last: false, args: {} }],
  ['done', 'snapshot'],
  ['intent', 'apply'],
];
const checked: Line[] = [...windowOpen, ['done', 'apply'], ['intent', 'upgrade'], ['done', 'upgrade'], ['done', 'checks']];

describe('positionOf (where an interrupted transaction stood)', () => {
  it('an empty journal: before the first stage, nothing to undo or finish', () => {
    assert.deepEqual(positionOf([]), { windowStarted: false, rollForward: false, committed: false, interruptedAt: 'before the first stage' });
    assert.equal(positionOf(journal(['begin'])).interruptedAt, 'before the first stage');
  });

  it('killed during preparation: the window never started', () => {
    assert.deepEqual(positionOf(journal(...prepared)), { windowStarted: false, rollForward: false, committed: false, interruptedAt: 'after stage preflight' });
  });

  it('killed while turning maintenance on: the window started (its intent is journaled first)', () => {
    const position = positionOf(journal(...prepared, ['intent', 'maintenance-on']));
    assert.deepEqual(position, { windowStarted: true, rollForward: false, committed: false, interruptedAt: 'stage maintenance-on' });
  });

  it('killed during apply: roll back, not forward', () => {
    assert.deepEqual(positionOf(journal(...windowOpen)), { windowStarted: true, rollForward: false, committed: false, interruptedAt: 'stage apply' });
  });

  it('the upgrade ran but the checks never finished: roll back', () => {
    const position = positionOf(journal(...windowOpen, ['done', 'apply'], ['intent', 'upgrade'], ['done', 'upgrade']));
    assert.equal(position.rollForward, false);
    assert.equal(position.interruptedAt, 'after stage upgrade');
  });

  it('killed after `done checks`: roll forward, not yet committed', () => {
    assert.deepEqual(positionOf(journal(...checked)), { windowStarted: true, rollForward: true, committed: false, interruptedAt: 'after stage checks' });
    const turningOff = positionOf(journal(...checked, ['intent', 'maintenance-off']));
    assert.deepEqual(turningOff, { windowStarted: true, rollForward: true, committed: false, interruptedAt: 'stage maintenance-off' });
  });

  it('killed after the commit point: committed, still rolled forward (the final probe remains)', () => {
    const position = positionOf(journal(...checked, ['intent', 'maintenance-off'], ['commit', 'maintenance-off'], ['done', 'maintenance-off']));
    assert.deepEqual(position, { windowStarted: true, rollForward: true, committed: true, interruptedAt: 'after stage maintenance-off' });
  });

  it('a `failed` record after `done checks` (the final probe failed): rollback had begun, never roll forward', () => {
    const position = positionOf(journal(...checked, ['intent', 'maintenance-off'], ['commit', 'maintenance-off'], ['done', 'maintenance-off'],
      ['failed', 'final-probe', { code: 'NCUPD_CHECK_FAILED' }], ['intent', 'maintenance-on-for-rollback']));
    assert.equal(position.rollForward, false);
    assert.equal(position.committed, true);
    assert.equal(position.interruptedAt, 'stage maintenance-on-for-rollback');
    const justFailed = positionOf(journal(...checked, ['failed', 'final-probe']));
    assert.equal(justFailed.rollForward, false);
    assert.equal(justFailed.interruptedAt, 'the rollback after final-probe failed');
  });

  it('an `undo-intent` or `intent maintenance-on-for-rollback` alone (the `failed` line was lost to a full disk) also forbids rolling forward', () => {
    const undoing = positionOf(journal(...checked, ['undo-intent', 'restore the database from the snapshot', { id: 'u3' }]));
    assert.equal(undoing.rollForward, false);
    assert.equal(undoing.interruptedAt, 'rollback step "restore the database from the snapshot"');
    const protecting = positionOf(journal(...checked, ['intent', 'maintenance-on-for-rollback']));
    assert.equal(protecting.rollForward, false);
    assert.equal(protecting.windowStarted, true);
  });

  it('a rollback waiting for a missing resource names it', () => {
    const position = positionOf(journal(...windowOpen, ['failed', 'apply'], ['undo-intent', 'restore the database from the snapshot', { id: 'u3' }],
      ['wait', 'database', { what: 'mysql at localhost:3306' }]));
    assert.deepEqual(position, { windowStarted: true, rollForward: false, committed: false, interruptedAt: 'a rollback waiting for the database' });
  });

  it('a second recovery reads past `recover`, `undo-done` and `undo-push` lines to the step that was running', () => {
    const position = positionOf(journal(...windowOpen, ['failed', 'apply'],
      ['undo-intent', 'swap the old code back', { id: 'u4' }], ['undo-done', 'swap the old code back', { id: 'u4' }],
      ['undo-intent', 'restore the database from the snapshot', { id: 'u3' }],
      ['recover', undefined, { pid: 4242, interruptedAt: 'rollback step "restore the database from the snapshot"' }]));
    assert.equal(position.interruptedAt, 'rollback step "restore the database from the snapshot"');
    assert.equal(position.rollForward, false);
  });
});
