// Operator HTTP probes over real HTTP: the fixture served by php -S, and a loopback socket that
// accepts and never answers (the hanging-server case).
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { httpProbeCheck, httpProbeChecks, probeUrl } from '../../../integrity/checks/http-probe/index.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { serveInstance, type ServedInstance } from '../../fixtures/harness/serve.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor, instanceConfig } from './check-context.js';

describe('check http-probe', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  let instance: FixtureInstance;
  let server: ServedInstance;
  let silent: Server;
  let silentUrl: string;
  const held = new Set<Socket>();
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
    instance = await createInstance({ release, db: 'sqlite3' });
    server = await serveInstance(instance);
    silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
    await server?.stop();
    await instance?.destroy();
  });

  const probe = async (entry: Record<string, unknown>, base: { url: string | undefined } = { url: server.url }) => {
    const config = instanceConfig(instance, { http: [{ name: 'p', ...entry }] });
    const [check] = httpProbeChecks(config);
    return check!.run(contextFor(instance, { expectedVersion: release.internalVersion, instance: config, baseUrl: base.url, phase: 'final' }));
  };

  it('passes on the expected status and text, relative or absolute', async () => {
    const relative = await probe({ url: '/status.php', contains: '"installed":true' });
    assert.equal(relative.status, 'passed', relative.detail);
    assert.equal(relative.check, 'http-probe:p');
    const absolute = await probe({ url: `${server.url}/index.php`, contains: 'Log in' }, { url: undefined });
    assert.equal(absolute.status, 'passed', absolute.detail);
  });

  it('fails on the wrong status', async () => {
    const outcome = await probe({ url: 'status.php', expectStatus: 404 });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /answered HTTP 200, expected 404$/);
  });

  it('fails when the text is missing', async () => {
    const outcome = await probe({ url: 'index.php', contains: 'Welcome back, admin' });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /does not contain "Welcome back, admin"$/);
  });

  it('fails when the server does not answer within the timeout', async () => {
    const started = Date.now();
    const outcome = await probe({ url: silentUrl, timeoutSeconds: 1 });
    assert.ok(Date.now() - started < 5_000);
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /no answer from .* within 1 s/);
  });

  it('is skipped when a relative probe has no base URL', async () => {
    const outcome = await probe({ url: 'status.php' }, { url: undefined });
    assert.equal(outcome.status, 'skipped');
  });

  it('runs after the commit point only, one check per entry', () => {
    const config = instanceConfig(instance, { http: [{ name: 'a', url: '/a' }, { name: 'b', url: '/b' }] });
    assert.deepEqual(httpProbeChecks(config).map((c) => [c.id, c.phases]), [['http-probe:a', ['final']], ['http-probe:b', ['final']]]);
    assert.equal(httpProbeCheck(config.checks.http[0]!).timeoutMs, 15_000);
    assert.equal(probeUrl('https://example.test/x', undefined), 'https://example.test/x');
    assert.equal(probeUrl('/apps/files/', 'https://cloud.example.test/nextcloud/'), 'https://cloud.example.test/nextcloud/apps/files/');
  });
});
