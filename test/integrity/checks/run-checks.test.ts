// The runner with small fake checks for its own rules (deadline, thrown errors, cancellation; the
// hanging one runs a real `sleep`), then every built-in check of each phase on a real instance.
import assert from 'node:assert/strict';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { CheckContext, HealthCheck } from '../../../integrity/checks/check.js';
import { runChecks } from '../../../integrity/checks/run-checks.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { serveInstance, type ServedInstance } from '../../fixtures/harness/serve.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor, instanceConfig } from './check-context.js';

const passing: HealthCheck = { id: 'fine', phases: ['window'], run: async () => ({ check: 'fine', status: 'passed', detail: 'ok' }) };

describe('runChecks', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  let instance: FixtureInstance;
  let server: ServedInstance;
  let context: CheckContext;
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
    instance = await createInstance({ release, db: 'sqlite3' });
    server = await serveInstance(instance);
    context = contextFor(instance, { expectedVersion: release.internalVersion, baseUrl: server.url });
  });
  after(async () => {
    await server?.stop();
    await instance?.destroy();
  });

  it('names the check that overran its deadline, stops its command, and goes on', async () => {
    const host = createLocalHost();
    const hanging: HealthCheck = {
      id: 'hanging', phases: ['window'], timeoutMs: 500,
      async run(ctx) {
        await host.run({ file: 'sleep', args: ['60'], signal: ctx.signal });
        return { check: 'hanging', status: 'passed', detail: 'never' };
      },
    };
    const started = Date.now();
    const outcomes = await runChecks(context, { checks: [hanging, passing] });
    assert.ok(Date.now() - started < 4_000, 'the command was stopped, not waited for');
    assert.deepEqual(outcomes, [
      { check: 'hanging', status: 'failed', detail: 'check "hanging" did not finish within 0.5 s and was stopped' },
      { check: 'fine', status: 'passed', detail: 'ok' },
    ]);
  });

  it('turns a thrown error into a failed outcome with its message, and leaves out other phases', async () => {
    const throwing: HealthCheck = { id: 'throws', phases: ['window'], run: async () => { throw new Error('database went away'); } };
    const later: HealthCheck = { id: 'later', phases: ['final'], run: async () => { throw new Error('must not run'); } };
    const outcomes = await runChecks(context, { checks: [throwing, later, passing] });
    assert.deepEqual(outcomes, [
      { check: 'throws', status: 'failed', detail: 'database went away' },
      { check: 'fine', status: 'passed', detail: 'ok' },
    ]);
  });

  it('reports the checks it did not run once the run is cancelled', async () => {
    const controller = new AbortController();
    const cancelling: HealthCheck = { id: 'cancels', phases: ['window'], async run() { controller.abort(); return { check: 'cancels', status: 'passed', detail: 'ok' }; } };
    const outcomes = await runChecks({ ...context, signal: controller.signal }, { checks: [cancelling, passing] });
    assert.deepEqual(outcomes.map((o) => [o.check, o.status, o.detail]), [['cancels', 'passed', 'ok'], ['fine', 'failed', 'not run: the run was cancelled']]);
  });

  it('passes every built-in check of each phase on a healthy instance', async () => {
    const config = instanceConfig(instance, {
      commands: [{ name: 'occ-runs', command: ['php', `${instance.root}/occ`, 'status'] }],
      http: [{ name: 'status', url: 'status.php', contains: release.internalVersion }],
    });
    await instance.occ(['maintenance:mode', '--on']);
    const window = await runChecks({ ...context, instance: config, maintenanceExpected: true });
    await instance.occ(['maintenance:mode', '--off']);
    const final = await runChecks({ ...context, instance: config, phase: 'final' });
    const restored = await runChecks({ ...context, instance: config, phase: 'restored' });
    const summary = (outcomes: typeof window) => outcomes.map((o) => `${o.check}:${o.status}`);
    assert.deepEqual(summary(window), ['occ-status:passed', 'enabled-apps:passed', 'integrity-core:passed', 'status-php:passed', 'custom-command:occ-runs:passed'], JSON.stringify(window));
    assert.deepEqual(summary(final), ['status-php:passed', 'login-page:passed', 'http-probe:status:passed'], JSON.stringify(final));
    assert.deepEqual(summary(restored), ['occ-status:passed', 'enabled-apps:passed', 'integrity-core:passed', 'status-php:passed', 'login-page:passed'], JSON.stringify(restored));
  });
});
