// Nextcloud notifications against the fixture Nextcloud: `occ notification:generate` as the web
// user, read back from the instance's notifications table; deferred while maintenance mode is on.
import assert from 'node:assert/strict';
import { parseConfig } from '../../../daemon/config/load-config.js';
import type { NcupdConfig } from '../../../daemon/config/schema.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { createNextcloudNotifier } from '../../../daemon/notifiers/nextcloud/index.js';
import type { Notifier } from '../../../daemon/notifiers/notifier.js';
import { notify } from '../../../daemon/notifiers/notify.js';
import { buildRelease } from '../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { alert, rolledBack, run, updated } from './samples.js';

describe('nextcloud notifier', function () {
  this.timeout(300_000);
  const host = createLocalHost();
  let instance: FixtureInstance;
  let config: NcupdConfig;
  const notifierFor = (users: string[]): Notifier =>
    createNextcloudNotifier({ type: 'nextcloud', users, when: 'always' }, 'nextcloud[2]', { instances: config.instances, hostFor: () => host });
  const notifications = async () => (await instance.dumpDatabase()).notifications ?? [];

  before(async () => {
    instance = await createInstance({ release: await buildRelease({ version: '33.0.5' }), users: 2 });
    config = parseConfig({ instances: [{ name: 'cloud', path: instance.root, webUser: instance.webUser }] }, 'test');
  });
  after(async () => {
    await instance?.destroy();
  });

  it('delivers a success and a failure to every configured user as an admin notification', async () => {
    const notifier = notifierFor(['admin', 'user1']);
    const outcomes = [...await notify([notifier], run(updated)), ...await notify([notifier], run(rolledBack))];
    assert.deepEqual(outcomes.map((o) => [o.status, o.error?.message]), [['sent', undefined], ['sent', undefined]]);
    const rows = await notifications();
    assert.deepEqual(rows.map((r) => [r.user_id, r.app, r.subject]), [
      ['admin', 'admin_notifications', 'ncupd: cloud updated 33.0.5 -> 33.0.6'],
      ['user1', 'admin_notifications', 'ncupd: cloud updated 33.0.5 -> 33.0.6'],
      ['admin', 'admin_notifications', 'ncupd: cloud ROLLED BACK to 33.0.5 (update to 33.0.6 failed)'],
      ['user1', 'admin_notifications', 'ncupd: cloud ROLLED BACK to 33.0.5 (update to 33.0.6 failed)'],
    ]);
    const failure = rows[2]?.message ?? '';
    assert.match(failure, /^What happened:\n {2}rolled-back/);
    assert.match(failure, /Reason: occ upgrade exited 1/);
    assert.match(failure, /Instance now:\n {2}Back on 33\.0\.5/);
    assert.match(failure, /What to do:\n {2}Fix the cause \(NCUPD_UPGRADE_FAILED/);
  });

  it('defers with a clear reason while maintenance mode is on, and sends nothing', async () => {
    const before = (await notifications()).length;
    assert.equal((await instance.occ(['maintenance:mode', '--on'])).exitCode, 0);
    try {
      const [outcome] = await notify([notifierFor(['admin'])], alert);
      assert.equal(outcome?.status, 'deferred');
      assert.ok(isNcupdError(outcome?.error, 'NCUPD_NOTIFY_DEFERRED'));
      assert.match(outcome.error.message, /^nextcloud\[2\]: not sent to cloud: maintenance mode is on/);
    } finally {
      await instance.occ(['maintenance:mode', '--off']);
    }
    assert.equal((await notifications()).length, before);
  });

  it('names a user that does not exist, and still notifies the others', async () => {
    const before = (await notifications()).length;
    const [outcome] = await notify([notifierFor(['nobody', 'admin'])], run(rolledBack));
    assert.equal(outcome?.status, 'failed');
    assert.equal(outcome?.error?.code, 'NCUPD_NOTIFY_FAILED');
    assert.match(outcome?.error?.message ?? '', /failed for 1 of 2 user\(s\) on cloud: nobody: exit 1: Unknown user/);
    const rows = await notifications();
    assert.deepEqual(rows.slice(before).map((r) => r.user_id), ['admin']);
  });

  it('fails for an instance that is not configured', async () => {
    const [outcome] = await notify([notifierFor(['admin'])], { kind: 'alert', instance: 'elsewhere', message: 'x' });
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.error?.message ?? '', /no configured instance named "elsewhere"/);
  });
});
