// occ status against the real fixture Nextcloud (php-cli, SQLite), run as the web user.
import assert from 'node:assert/strict';
import { occStatusCheck, statusMismatches } from '../../../integrity/checks/occ-status/index.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { installCodeOf } from '../../fixtures/harness/manual-upgrade.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor } from './check-context.js';

describe('check occ-status', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  const instances: FixtureInstance[] = [];
  const make = async (r = release) => {
    const instance = await createInstance({ release: r, db: 'sqlite3' });
    instances.push(instance);
    return instance;
  };
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
  });
  after(async () => {
    for (const instance of instances) await instance.destroy();
  });

  it('passes on a healthy instance at the expected version', async () => {
    const instance = await make();
    const outcome = await occStatusCheck.run(contextFor(instance, { expectedVersion: release.internalVersion }));
    assert.equal(outcome.status, 'passed', outcome.detail);
    assert.equal(outcome.check, 'occ-status');
  });

  it('fails on the wrong version, naming both', async () => {
    const instance = await make();
    const outcome = await occStatusCheck.run(contextFor(instance, { expectedVersion: '33.0.6.1' }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /version is "33\.0\.5\.1", expected "33\.0\.6\.1"/);
  });

  it('fails while a database upgrade is pending (code swapped, no occ upgrade)', async () => {
    const instance = await make();
    const next = await buildRelease({ version: '33.0.6' });
    await installCodeOf(instance, next);
    const outcome = await occStatusCheck.run(contextFor(instance, { expectedVersion: next.internalVersion }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /needsDbUpgrade is true/);
    assert.doesNotMatch(outcome.detail, /version is/, 'the code version is the expected one');
  });

  it('compares maintenance with what the phase expects', async () => {
    const instance = await make();
    await instance.occ(['maintenance:mode', '--on']);
    const unexpected = await occStatusCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, maintenanceExpected: false }));
    assert.equal(unexpected.status, 'failed');
    assert.match(unexpected.detail, /maintenance is true, expected false/);
    const expected = await occStatusCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, maintenanceExpected: true }));
    assert.equal(expected.status, 'passed', expected.detail);
    const off = await make();
    const missing = await occStatusCheck.run(contextFor(off, { expectedVersion: release.internalVersion, maintenanceExpected: true }));
    assert.equal(missing.status, 'failed');
    assert.match(missing.detail, /maintenance is false, expected true/);
  });

  it('fails with the exit code when occ itself fails (a downgrade)', async () => {
    const instance = await make(await buildRelease({ version: '33.0.6' }));
    await installCodeOf(instance, release);
    const outcome = await occStatusCheck.run(contextFor(instance, { expectedVersion: release.internalVersion }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /^occ status exit 1: .*Downgrading is not supported/);
  });

  it('treats missing keys and non-objects as mismatches', () => {
    assert.deepEqual(statusMismatches({ installed: true, version: '1.2.3.4', maintenance: false, needsDbUpgrade: false }, { version: '1.2.3.4', maintenance: false }), []);
    assert.equal(statusMismatches({ installed: true, version: '1.2.3.4' }, { version: '1.2.3.4', maintenance: false }).length, 2);
    assert.match(statusMismatches([], { version: '1', maintenance: false })[0] ?? '', /not a status object/);
  });
});
