import assert from 'node:assert/strict';
import { isPristine, renderUnit, stamp, unitPath } from '../../../daemon/service/install-files.js';

describe('install-service files', () => {
  it('tells a file ncupd wrote from an edited one by its checksum line', () => {
    const written = stamp('[Service]\nType=notify\n');
    assert.ok(isPristine(written));
    assert.ok(!isPristine(written.replace('notify', 'simple')));
    assert.ok(!isPristine(`${written}Environment=X=1\n`));
    assert.ok(!isPristine('[Service]\nType=notify\n'));
  });

  it('escapes % for unit files and refuses paths that would need quoting', () => {
    assert.equal(unitPath('/srv/50%/nextcloud'), '/srv/50%%/nextcloud');
    for (const bad of ['relative/path', '/srv/my cloud', '/srv/"x"', '/srv/a;b', '/srv/$HOME', '/srv/a\\b', '/srv/a\nb']) {
      assert.throws(() => unitPath(bad), { code: 'NCUPD_CONFIG_INVALID' }, bad);
    }
  });

  it('puts the real node, ncupd and config paths into ExecStart= and nowhere else', () => {
    const template = 'Documentation=file:/usr/lib/ncupd/docs/install.md\nExecStart=/usr/bin/node /usr/lib/ncupd/dist/daemon/cli/main.js daemon --config /etc/ncupd/config.yaml\nExecReload=/bin/kill -HUP $MAINPID\n';
    const unit = renderUnit(template, { node: '/opt/node/bin/node', main: '/opt/ncupd/dist/daemon/cli/main.js', config: '/etc/ncupd/site.yaml' });
    assert.match(unit, /^ExecStart=\/opt\/node\/bin\/node --max-semi-space-size=2 \/opt\/ncupd\/dist\/daemon\/cli\/main\.js daemon --config \/etc\/ncupd\/site\.yaml$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.doesNotMatch(unit, /file:\/usr\/lib\/ncupd\//);
  });
});
