// status.php over real HTTP: the fixture served by php -S on loopback, as the web user.
import assert from 'node:assert/strict';
import { statusPhpCheck } from '../../../integrity/checks/status-php/index.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { installCodeOf } from '../../fixtures/harness/manual-upgrade.js';
import { freePort } from '../../fixtures/harness/free-port.js';
import { serveInstance, type ServedInstance } from '../../fixtures/harness/serve.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor } from './check-context.js';

describe('check status-php', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  const instances: FixtureInstance[] = [];
  const servers: ServedInstance[] = [];
  const serve = async (r = release) => {
    const instance = await createInstance({ release: r, db: 'sqlite3' });
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

  it('passes when status.php serves the expected version, and fails on another', async () => {
    const { instance, url } = await serve();
    const good = await statusPhpCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: `${url}/` }));
    assert.equal(good.status, 'passed', good.detail);
    const wrong = await statusPhpCheck.run(contextFor(instance, { expectedVersion: '33.0.6.1', baseUrl: url }));
    assert.equal(wrong.status, 'failed');
    assert.match(wrong.detail, /version is "33\.0\.5\.1", expected "33\.0\.6\.1"/);
  });

  it('fails on a maintenance mismatch and passes when maintenance is expected (200 in maintenance)', async () => {
    const { instance, url } = await serve();
    await instance.occ(['maintenance:mode', '--on']);
    const unexpected = await statusPhpCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: url, phase: 'final' }));
    assert.equal(unexpected.status, 'failed');
    assert.match(unexpected.detail, /maintenance is true, expected false/);
    const expected = await statusPhpCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: url, maintenanceExpected: true }));
    assert.equal(expected.status, 'passed', expected.detail);
  });

  it('fails while a database upgrade is pending', async () => {
    const { instance, url } = await serve();
    const next = await buildRelease({ version: '33.0.6' });
    await installCodeOf(instance, next);
    const outcome = await statusPhpCheck.run(contextFor(instance, { expectedVersion: next.internalVersion, baseUrl: url }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /needsDbUpgrade is true, expected false/);
  });

  it('fails when status.php answers 500', async () => {
    const broken = await buildRelease({ version: '33.0.6', faults: ['status-500'] });
    const { instance, url } = await serve(broken);
    const outcome = await statusPhpCheck.run(contextFor(instance, { expectedVersion: broken.internalVersion, baseUrl: url }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /status\.php answered HTTP 500 \(empty body\)$/);
  });

  it('fails when nothing answers, and is skipped without a URL', async () => {
    const { instance } = await serve();
    const down = await statusPhpCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: `http://127.0.0.1:${await freePort()}` }));
    assert.equal(down.status, 'failed');
    assert.match(down.detail, /could not be fetched: ECONNREFUSED/);
    const skipped = await statusPhpCheck.run(contextFor(instance, { expectedVersion: release.internalVersion }));
    assert.equal(skipped.status, 'skipped');
    assert.match(skipped.detail, /no URL/);
  });
});
