// The login page over real HTTP: the fixture served by php -S on loopback, as the web user.
import assert from 'node:assert/strict';
import { loginPageCheck, looksLikeLoginPage } from '../../../integrity/checks/login-page/index.js';
import { createInstance, writeInstanceFile, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { serveInstance, type ServedInstance } from '../../fixtures/harness/serve.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor } from './check-context.js';

describe('check login-page', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  const instances: FixtureInstance[] = [];
  const servers: ServedInstance[] = [];
  const serve = async () => {
    const instance = await createInstance({ release, db: 'sqlite3' });
    instances.push(instance);
    const server = await serveInstance(instance);
    servers.push(server);
    return { instance, url: server.url };
  };
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
  });
  after(async () => {
    for (const server of servers.reverse()) await server.stop();
    for (const instance of instances) await instance.destroy();
  });

  it('runs only after the commit point and on a restored instance', () => {
    assert.deepEqual([...loginPageCheck.phases], ['final', 'restored']);
  });

  it('passes when index.php serves the login form', async () => {
    const { instance, url } = await serve();
    const outcome = await loginPageCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: url, phase: 'final' }));
    assert.equal(outcome.status, 'passed', outcome.detail);
  });

  it('fails with 503 in maintenance mode, unless maintenance is expected (then skipped)', async () => {
    const { instance, url } = await serve();
    await instance.occ(['maintenance:mode', '--on']);
    const outcome = await loginPageCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: url, phase: 'final' }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /answered HTTP 503 \(maintenance mode\)/);
    const expected = await loginPageCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: url, phase: 'restored', maintenanceExpected: true }));
    assert.equal(expected.status, 'skipped');
  });

  it('fails on 200 without a login form', async () => {
    const { instance, url } = await serve();
    writeInstanceFile(instance, 'index.php', '<?php echo "<html><head><title>It works</title></head><body>Apache default page</body></html>";\n');
    const outcome = await loginPageCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: url, phase: 'final' }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /answered 200 but not with the login page \("It works"\)/);
  });

  it('recognises the browser-rendered login page of recent Nextcloud by its guest layout', () => {
    assert.equal(looksLikeLoginPage('<body id="body-login" data-theme-light><div id="login"></div></body>'), true);
    assert.equal(looksLikeLoginPage('<form action="x"><input name="user"><input type="password" name="password"></form>'), true);
    assert.equal(looksLikeLoginPage('<body id="body-user"><div id="content"></div></body>'), false);
  });
});
