import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../../../daemon/config/load-config.js';
import { configFromFlags } from '../../../daemon/config/from-flags.js';
import { renderConfigurationDoc } from '../../../daemon/config/config-doc.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { runNcupd } from '../../helpers/run-ncupd.js';

describe('configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ncupd-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('fills defaults and freezes the result', () => {
    const config = parseConfig({ instances: [{ name: 'cloud', path: '/var/www/nextcloud' }] }, 'test');
    const instance = config.instances[0]!;
    assert.equal(instance.webUser, 'www-data');
    assert.equal(instance.strategy, 'archive');
    assert.equal(instance.policy.majors, 'hold');
    assert.equal(instance.trust.certificate, 'builtin:nextcloud');
    assert.equal(config.stateDir, '/var/lib/ncupd');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(instance.policy));
  });

  it('reports every problem at once, with its place, and refuses unknown keys', () => {
    const path = file('bad.yaml', [
      'cacheDir: relative/dir',
      'surprise: 1',
      'instances:',
      '  - name: one',
      '    path: /srv/one',
      '    strategy: rsync',
      '  - name: one',
      '    path: /srv/two',
      '    webuser: www-data',
      '    policy: { majors: sometimes }',
      '',
    ].join('\n'));
    assert.throws(() => loadConfigFile(path), (error) => {
      assert.ok(isNcupdError(error, 'NCUPD_CONFIG_INVALID'));
      const text = error.message;
      assert.match(text, /6 problems/);
      assert.match(text, /expected an absolute path, got "relative\/dir" at cacheDir/);
      assert.match(text, /unknown key "surprise" at \(top level\)/);
      assert.match(text, /got "rsync" at instances\[0\]\.strategy/);
      assert.match(text, /unknown key "webuser" at instances\[1\]/);
      assert.match(text, /got "sometimes" at instances\[1\]\.policy\.majors/);
      assert.match(text, /duplicate instance name "one" at instances\[1\]\.name/);
      return true;
    });
  });

  it('refuses YAML that does not parse and a missing file with their own codes', () => {
    assert.throws(() => loadConfigFile(file('broken.yaml', 'instances: [\n')), (e) => isNcupdError(e, 'NCUPD_CONFIG_UNREADABLE'));
    assert.throws(() => loadConfigFile(join(dir, 'absent.yaml')), (e) => isNcupdError(e, 'NCUPD_CONFIG_NOT_FOUND'));
  });

  it('describes one instance from flags with the same schema', () => {
    const config = configFromFlags({ path: '/srv/nc', webUser: 'nc', updateServer: 'http://127.0.0.1:1/', trustCert: '/etc/ncupd/test.crt' });
    assert.equal(config.instances[0]?.name, 'default');
    assert.equal(config.instances[0]?.trust.certificate, '/etc/ncupd/test.crt');
    assert.throws(() => configFromFlags({ path: 'relative' }), (e) => isNcupdError(e, 'NCUPD_CONFIG_INVALID'));
  });

  it('`ncupd config check` validates a file and exits 2 on problems', async () => {
    const good = await runNcupd(['config', 'check', '--config', file('good.yaml', 'instances:\n  - name: cloud\n    path: /var/www/nextcloud\n')]);
    assert.equal(good.exitCode, 0);
    assert.match(good.stdout, /configuration is valid: 1 instance \(cloud\)/);
    const bad = await runNcupd(['config', 'check', '--config', file('bad2.yaml', 'instances: []\n')]);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /error NCUPD_CONFIG_INVALID/);
    assert.match(bad.stderr, /hint: /);
  });

  it('docs/configuration.md is generated from the schema (run `npm run docs` after changing it)', () => {
    assert.equal(readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8'), renderConfigurationDoc());
  });
});
