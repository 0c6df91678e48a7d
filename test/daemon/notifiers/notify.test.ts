// Which runs are sent, what the messages say, and that a failing notifier never breaks the caller.
import assert from 'node:assert/strict';
import { NcupdError } from '../../../daemon/errors/ncupd-error.js';
import { composeMessage } from '../../../daemon/notifiers/message.js';
import { alertFrom, shouldSend, type Notifier } from '../../../daemon/notifiers/notifier.js';
import { notify, outcomeLine } from '../../../daemon/notifiers/notify.js';
import { alert, blocked, failedEarly, held, rollbackFailed, rolledBack, run, upToDate, updated } from './samples.js';

function recorder(id: string, when: Notifier['when'], send: Notifier['send'] = async () => undefined): Notifier & { got: unknown[] } {
  const got: unknown[] = [];
  return { id, type: 'webhook', when, got, check: async () => undefined, send: async (n, s) => (got.push(n), send(n, s)) };
}

describe('notifications: rule, wording, fan-out', () => {
  it('sends failures and alerts on-failure, and adds updated and blocked for always', () => {
    const table = [
      [updated, false, true], [rolledBack, true, true], [rollbackFailed, true, true], [failedEarly, true, true],
      [blocked, false, true], [held, false, false], [upToDate, false, false],
    ] as const;
    for (const [summary, onFailure, always] of table) {
      assert.equal(shouldSend('on-failure', run(summary)), onFailure, `on-failure ${summary.result}`);
      assert.equal(shouldSend('always', run(summary)), always, `always ${summary.result}`);
    }
    assert.equal(shouldSend('on-failure', alert), true);
    assert.equal(shouldSend('always', alert), true);
  });

  it('turns an alert progress event, and nothing else, into a notification', () => {
    assert.deepEqual(alertFrom('cloud', { type: 'note', message: 'x' }), undefined);
    const n = alertFrom('cloud', { type: 'alert', message: 'cloud: rollback waits for the database' }, 'tx1');
    assert.equal(n?.kind, 'alert');
    assert.equal(composeMessage(n!).subject, 'ncupd: cloud ALERT: rollback waits for the database');
  });

  it('says in the subject what happened, and in the body the state now and what to do', () => {
    assert.equal(composeMessage(run(updated)).subject, 'ncupd: cloud updated 33.0.5 -> 33.0.6');
    assert.equal(composeMessage(run(rolledBack)).subject, 'ncupd: cloud ROLLED BACK to 33.0.5 (update to 33.0.6 failed)');
    assert.equal(composeMessage(run(rollbackFailed)).subject, 'ncupd: cloud ROLLBACK INCOMPLETE, maintenance mode ON');
    assert.equal(composeMessage(run(failedEarly)).subject, 'ncupd: cloud update to 33.0.6 FAILED, nothing changed');
    const back = composeMessage(run(rolledBack));
    assert.equal(back.severity, 'warning');
    assert.match(back.text, /^What happened:\n {2}rolled-back \(transaction 20261127T030012Z-a1b2c3/m);
    assert.match(back.text, /Failed at stage upgrade with NCUPD_UPGRADE_FAILED/);
    assert.match(back.text, /Instance now:\n {2}Back on 33\.0\.5: .*maintenance mode off/);
    assert.match(back.text, /What to do:\n {2}Fix the cause \(NCUPD_UPGRADE_FAILED: see docs\/errors\.md/);
    assert.match(back.text, /^Record: cloud: rolled-back 33\.0\.5 -> 33\.0\.6 window=21\.00s failed-stage=upgrade/m);
    const incomplete = composeMessage(run(rollbackFailed));
    assert.equal(incomplete.severity, 'critical');
    assert.match(incomplete.state, /In maintenance mode .* Not undone: database restore/);
    assert.match(incomplete.next, /ncupd recover --instance cloud/);
    assert.equal(composeMessage(alert).severity, 'critical');
  });

  it('reports a notifier that throws (or is slow to fail) as an outcome and still sends to the others', async () => {
    const broken = recorder('webhook[0]', 'always', async () => { throw new TypeError('socket hang up'); });
    const deferring = recorder('nextcloud[1]', 'always', async () => { throw new NcupdError('NCUPD_NOTIFY_DEFERRED', { detail: 'maintenance mode is on' }); });
    const quiet = recorder('email[2]', 'on-failure');
    const fine = recorder('email[3]', 'always');
    const outcomes = await notify([broken, deferring, quiet, fine], run(updated));
    assert.deepEqual(outcomes.map((o) => [o.notifier, o.status, o.error?.code]), [
      ['webhook[0]', 'failed', 'NCUPD_NOTIFY_FAILED'], ['nextcloud[1]', 'deferred', 'NCUPD_NOTIFY_DEFERRED'],
      ['email[2]', 'not-wanted', undefined], ['email[3]', 'sent', undefined],
    ]);
    assert.equal(quiet.got.length, 0);
    assert.equal(fine.got.length, 1);
    assert.match(outcomeLine(outcomes[0]!), /^notification webhook\[0\] failed \(\d+ ms\) NCUPD_NOTIFY_FAILED: webhook\[0\]: socket hang up$/);
  });

  it('masks the run\'s secrets in everything it hands to notifiers', async () => {
    const secret = 'db/pa55 word+xyz';
    const leaky = { ...rollbackFailed, message: `mysqldump: access denied with ${secret}`, notUndone: [`restore (password ${secret})`] };
    const fine = recorder('webhook[0]', 'always');
    await notify([fine], run(leaky), { secrets: [secret] });
    await notify([fine], { kind: 'alert', instance: 'cloud', message: `cloud: waits (${encodeURIComponent(secret)})` }, { secrets: [secret] });
    const texts = fine.got.map((n) => composeMessage(n as Parameters<typeof composeMessage>[0]).text);
    assert.equal(texts.length, 2);
    for (const text of texts) {
      assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), text);
      assert.match(text, /\*\*\*/);
    }
  });
});
