// Operator commands run for real on the local host, as the web user or as root.
import assert from 'node:assert/strict';
import { customCommandCheck, customCommandChecks } from '../../../integrity/checks/custom-command/index.js';
import { runChecks } from '../../../integrity/checks/run-checks.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor, instanceConfig } from './check-context.js';

describe('check custom-command', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  let instance: FixtureInstance;
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
    instance = await createInstance({ release, db: 'sqlite3' });
  });
  after(async () => {
    await instance?.destroy();
  });

  const commands = () => [
    // test -O: the file is owned by the effective user, so this passes only as the web user.
    { name: 'as-web-user', command: ['test', '-O', instance.configPath] },
    { name: 'as-root', command: ['test', '-O', instance.configPath], asWebUser: false },
    { name: 'exit-1', command: ['sh', '-c', 'echo "queue is stuck" >&2; exit 1'] },
    { name: 'hangs', command: ['sleep', '60'], timeoutSeconds: 1 },
  ];

  it('expands each configured command into its own check, in order, for the window only', () => {
    const checks = customCommandChecks(instanceConfig(instance, { commands: commands() }));
    assert.deepEqual(checks.map((c) => c.id), ['custom-command:as-web-user', 'custom-command:as-root', 'custom-command:exit-1', 'custom-command:hangs']);
    assert.ok(checks.every((c) => c.phases.length === 1 && c.phases[0] === 'window'));
    assert.equal(checks[3]?.timeoutMs, 6_000, 'its own timeout plus the grace to stop it');
    assert.deepEqual(customCommandChecks(instanceConfig(instance)), []);
  });

  it('passes on exit 0 and runs as the web user unless told otherwise', async () => {
    const config = instanceConfig(instance, { commands: commands() });
    const context = contextFor(instance, { expectedVersion: release.internalVersion, instance: config });
    const [asWebUser, asRoot] = config.checks.commands.map(customCommandCheck);
    assert.equal((await asWebUser!.run(context)).status, 'passed');
    const root = await asRoot!.run(context);
    assert.equal(root.status, 'failed');
    assert.match(root.detail, /exit 1/);
  });

  it('fails on a non-zero exit with what the command said, and stops a hanging one at its timeout', async () => {
    const config = instanceConfig(instance, { commands: commands() });
    const started = Date.now();
    const outcomes = await runChecks(contextFor(instance, { expectedVersion: release.internalVersion, instance: config }), {
      checks: customCommandChecks(config),
    });
    assert.ok(Date.now() - started < 15_000, 'the hanging command did not hold the run');
    const byId = Object.fromEntries(outcomes.map((o) => [o.check, o]));
    assert.equal(byId['custom-command:exit-1']?.status, 'failed');
    assert.match(byId['custom-command:exit-1']?.detail ?? '', /^sh -c .*: exit 1: queue is stuck$/);
    assert.equal(byId['custom-command:hangs']?.status, 'failed');
    assert.match(byId['custom-command:hangs']?.detail ?? '', /^sleep 60: timed out after 1 s and was stopped$/);
  });

  it('fails when the program does not exist', async () => {
    const config = instanceConfig(instance, { commands: [{ name: 'missing', command: ['/nonexistent/healthcheck'] }] });
    const [outcome] = await runChecks(contextFor(instance, { expectedVersion: release.internalVersion, instance: config }), { checks: customCommandChecks(config) });
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.detail ?? '', /nonexistent\/healthcheck/);
  });
});
