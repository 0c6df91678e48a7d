// integrity:check-core against the real fixture (signature.json signed by the test PKI, SHA-512 of
// every core file, contract 3.2), compared with a baseline taken the way preflight takes it.
import assert from 'node:assert/strict';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { IntegrityReport } from '../../../integrity/checks/check.js';
import { integrityCoreCheck, newIntegrityProblems, readIntegrityReport } from '../../../integrity/checks/integrity-core/index.js';
import { createInstance, writeInstanceFile, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { contextFor, instanceConfig } from './check-context.js';

describe('check integrity-core', function () {
  this.timeout(180_000);
  let release: BuiltRelease;
  const instances: FixtureInstance[] = [];
  const make = async (r = release) => {
    const instance = await createInstance({ release: r, db: 'sqlite3' });
    instances.push(instance);
    return instance;
  };
  const baselineOf = async (instance: FixtureInstance): Promise<IntegrityReport> => {
    const result = await readIntegrityReport(createLocalHost(), instanceConfig(instance));
    assert.equal(result.kind, 'report');
    return result.kind === 'report' ? result.report : {};
  };
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
  });
  after(async () => {
    for (const instance of instances) await instance.destroy();
  });

  it('passes on a clean tree without a baseline (compared with clean)', async () => {
    const instance = await make();
    const outcome = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: release.internalVersion }));
    assert.deepEqual(outcome, { check: 'integrity-core', status: 'passed', detail: 'clean' });
  });

  it('passes when no worse than a baseline that already had a problem, and fails on a new one', async () => {
    const instance = await make();
    writeInstanceFile(instance, 'core/js/core.js', '// changed by the admin before the update\n');
    const baseline = await baselineOf(instance);
    assert.deepEqual(Object.keys(baseline.INVALID_HASH ?? {}), ['core/js/core.js']);

    const same = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, integrityBaseline: baseline }));
    assert.equal(same.status, 'passed', same.detail);
    assert.match(same.detail, /no worse than the baseline \(1 known problem\)/);

    const againstClean = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: release.internalVersion }));
    assert.equal(againstClean.status, 'failed');
    assert.match(againstClean.detail, /INVALID_HASH core\/js\/core\.js/);

    writeInstanceFile(instance, 'core/js/dropped-in.js', 'alert(1);\n');
    writeInstanceFile(instance, 'index.php', '<?php echo "defaced";\n');
    const worse = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, integrityBaseline: baseline }));
    assert.equal(worse.status, 'failed');
    assert.match(worse.detail, /^2 integrity problems not in the baseline: /);
    assert.match(worse.detail, /EXTRA_FILE core\/js\/dropped-in\.js/);
    assert.match(worse.detail, /INVALID_HASH index\.php/);
    assert.doesNotMatch(worse.detail, /core\/js\/core\.js/, 'the known problem is not named');

    for (let i = 0; i < 5; i++) writeInstanceFile(instance, `core/js/extra-${i}.js`, `// ${i}\n`);
    const flood = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: release.internalVersion, integrityBaseline: baseline }));
    assert.match(flood.detail, /^7 integrity problems not in the baseline: .* and 2 more$/);
    assert.equal(flood.detail.match(/EXTRA_FILE|INVALID_HASH/g)?.length, 5, 'five named');
  });

  it('fails on a release whose shipped file does not match its signed hash', async () => {
    const broken = await buildRelease({ version: '33.0.6', faults: ['broken-integrity'] });
    const instance = await make(broken);
    const outcome = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: broken.internalVersion, integrityBaseline: {} }));
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.detail, /INVALID_HASH core\/js\/core\.js/);
  });

  it('is skipped where it does not apply (channel git: exit 2 with the notice)', async () => {
    const instance = await make();
    await instance.occ(['config:system:set', 'updater.release.channel', '--value=git']);
    const outcome = await integrityCoreCheck.run(contextFor(instance, { expectedVersion: release.internalVersion }));
    assert.equal(outcome.status, 'skipped');
    assert.match(outcome.detail, /git checkouts/);
    assert.deepEqual(await readIntegrityReport(createLocalHost(), instanceConfig(instance)), { kind: 'not-applicable', reason: outcome.detail });
  });

  it('compares by category and path, and treats a new EXCEPTION as a problem', () => {
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`lib/file${i}.php`, { expected: 'a', current: 'b' }]));
    const added = newIntegrityProblems({ INVALID_HASH: many }, { INVALID_HASH: { 'lib/file0.php': {} } });
    assert.equal(added.length, 7);
    assert.deepEqual(newIntegrityProblems({ EXCEPTION: { class: 'X', message: 'Signature data not found.' } }, undefined), ['EXCEPTION Signature data not found.']);
    assert.deepEqual(newIntegrityProblems({ EXCEPTION: { class: 'X', message: 'Signature data not found.' } }, { EXCEPTION: { class: 'X', message: 'Signature data not found.' } }), []);
    assert.deepEqual(newIntegrityProblems({}, [] as unknown as IntegrityReport), []);
  });
});
