// Every notifier folder is registered under the config type it serves and documents itself
// (shared/style.md, points 1 and 12); the registry builds one notifier per config entry.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../daemon/config/load-config.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { createNotifiers, notifierFactories } from '../../../daemon/notifiers/registry.js';
import { REPO_ROOT } from '../../helpers/repo.js';

const SOURCE = join(REPO_ROOT, 'daemon', 'notifiers');

describe('notifier registry', () => {
  it('registers one factory per schema type, and every folder has an index.ts and a README.md', () => {
    const folders = readdirSync(SOURCE, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    assert.deepEqual(Object.keys(notifierFactories).sort(), ['email', 'nextcloud', 'webhook']);
    assert.deepEqual(folders, Object.keys(notifierFactories).sort());
    for (const folder of folders) {
      assert.ok(existsSync(join(SOURCE, folder, 'index.ts')), `${folder}/index.ts`);
      assert.ok(existsSync(join(SOURCE, folder, 'README.md')), `${folder}/README.md`);
    }
  });

  it('builds the configured notifiers with ids that name their place in the config', () => {
    const config = parseConfig({
      instances: [{ name: 'cloud', path: '/var/www/nextcloud' }],
      notifications: [
        { type: 'webhook', url: 'https://ntfy.example.org/ncupd', preset: 'ntfy' },
        { type: 'email', host: 'smtp.example.org', from: 'ncupd@example.org', to: ['ops@example.org'] },
        { type: 'nextcloud', users: ['admin'] },
      ],
    }, 'test');
    const host = createLocalHost();
    const notifiers = createNotifiers(config.notifications, { instances: config.instances, hostFor: () => host });
    assert.deepEqual(notifiers.map((n) => [n.id, n.type, n.when]), [
      ['webhook[0]', 'webhook', 'on-failure'], ['email[1]', 'email', 'on-failure'], ['nextcloud[2]', 'nextcloud', 'always'],
    ]);
  });
});
