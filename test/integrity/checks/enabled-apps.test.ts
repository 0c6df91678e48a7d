// occ app:list against the real fixture: shipped apps from core/shipped.json, a third-party app in
// custom_apps/ (apps_paths), enabled state in the database.
import assert from 'node:assert/strict';
import { enabledAppsCheck } from '../../../integrity/checks/enabled-apps/index.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor, SHIPPED_BEFORE } from './check-context.js';

describe('check enabled-apps', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  let withApp: BuiltRelease;
  const instances: FixtureInstance[] = [];
  const make = async () => {
    const instance = await createInstance({ release, db: 'sqlite3', extraApps: withApp.extraApps });
    instances.push(instance);
    return instance;
  };
  const appsBefore = { ...SHIPPED_BEFORE, legacyapp: { shipped: false } };
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
    // Only for its third-party app; the instance runs 33.0.5.
    withApp = await buildRelease({ version: '33.0.6', faults: ['incompatible-app'] });
  });
  after(async () => {
    for (const instance of instances) await instance.destroy();
  });

  it('passes when every app enabled before still is', async () => {
    const instance = await make();
    const outcome = await enabledAppsCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, appsBefore }));
    assert.equal(outcome.status, 'passed', outcome.detail);
    assert.equal(outcome.detail, '6 of 6 apps enabled before are still enabled');
  });

  it('fails when a shipped app was disabled, naming it', async () => {
    const instance = await make();
    assert.equal((await instance.occ(['app:disable', 'viewer'])).exitCode, 0);
    const outcome = await enabledAppsCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, appsBefore }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /shipped apps disabled: viewer/);
  });

  it('only reports a disabled third-party app, and works in maintenance mode', async () => {
    const instance = await make();
    await instance.occ(['app:disable', 'legacyapp']);
    await instance.occ(['maintenance:mode', '--on']);
    const outcome = await enabledAppsCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, appsBefore, maintenanceExpected: true }));
    assert.equal(outcome.status, 'passed', outcome.detail);
    assert.match(outcome.detail, /third-party apps disabled \(the app policy decides\): legacyapp/);
  });

  it('does not fail for a shipped app the code no longer has', async () => {
    const instance = await make();
    const outcome = await enabledAppsCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, appsBefore: { ...appsBefore, firstrunwizard: { shipped: true } } }));
    assert.equal(outcome.status, 'passed', outcome.detail);
    assert.match(outcome.detail, /no longer present: firstrunwizard/);
  });
});
