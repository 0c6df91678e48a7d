import assert from 'node:assert/strict';
import { decide } from '../../../daemon/policy/decide.js';
import type { DiscoveredInstance, InstanceApp } from '../../../daemon/discovery/discover-instance.js';
import type { PolicyConfig } from '../../../daemon/config/schema.js';
import type { ReleaseOffer } from '../../../daemon/releases/offer.js';
import { parseDbHost } from '../../../daemon/discovery/dbhost.js';

const POLICY: PolicyConfig = { majors: 'hold', allowUnsigned: false, apps: 'hold' };

function instance(version: string, php = '8.2.29', apps: InstanceApp[] = []): DiscoveredInstance {
  const [major, minor, release] = php.split('.').map(Number) as [number, number, number];
  const versionString = version.split('.').slice(0, 3).join('.');
  return {
    name: 't', root: '/srv/nc', webUser: 'www-data', phpBinary: 'php', php: { version: php, major, minor, release },
    code: { version, versionString, channel: 'stable', build: '', vendor: 'nextcloud' }, installedVersion: version, installed: true,
    maintenance: false, configReadOnly: false, updaterDir: '/srv/nc/data/updater-oc1', instanceId: 'oc1', dataDirectory: '/srv/nc/data', dbType: 'sqlite3', db: parseDbHost('localhost'), dbName: 'nc',
    hasDbPassword: false, channel: 'stable', updateServerUrl: 'http://u/', installedAt: '', apps, configFiles: ['config.php'],
    installType: { type: 'archive', evidence: '' }, phpBounds: { min: undefined, maxExclusive: undefined }, updaterStep: undefined,
  };
}

function offer(version: string, extra: Partial<ReleaseOffer> = {}): ReleaseOffer {
  return {
    version, versionString: version.split('.').slice(0, 3).join('.'), url: `https://d/nextcloud-${version}.zip`, downloads: { zip: [], bz2: [] },
    web: '', changes: '', autoupdater: true, eol: false, eolDate: '', signature: 'c2ln', ...extra,
  };
}

const legacy: InstanceApp = { id: 'legacyapp', dir: '/x', version: '1.0', min: '32', max: '33', shipped: false, enabled: true };

describe('policy', () => {
  it('applies a patch release of the installed major', () => {
    const v = decide(instance('33.0.5.1'), offer('33.0.8.2'), POLICY);
    assert.equal(v.decision, 'apply');
    assert.equal(v.kind, 'patch');
    assert.match(v.reason, /maintenance release 33\.0\.8/);
  });

  it('applies a minor release of the installed major', () => {
    const v = decide(instance('27.0.2.1', '8.2.29'), offer('27.1.11.3'), POLICY);
    assert.equal(v.decision, 'apply');
    assert.equal(v.kind, 'minor');
  });

  it('holds a major by default, with the reason in words', () => {
    const v = decide(instance('33.0.8.2'), offer('34.0.3.2'), POLICY);
    assert.equal(v.decision, 'hold');
    assert.equal(v.reason, 'major 34.0.3 available, held: majors need approval (policy.majors: allow)');
  });

  it('applies one major hop when allowed', () => {
    const v = decide(instance('33.0.8.2'), offer('34.0.3.2'), { ...POLICY, majors: 'allow' });
    assert.equal(v.decision, 'apply');
    assert.equal(v.kind, 'major');
  });

  it('blocks a target whose PHP minimum the instance does not meet, and says so', () => {
    const v = decide(instance('32.0.14.1', '8.1.30'), offer('33.0.8.2'), { ...POLICY, majors: 'allow' });
    assert.equal(v.decision, 'blocked');
    assert.equal(v.reason, '33.0.8 needs PHP 8.2, instance has 8.1.30');
  });

  it('explains an empty answer when the next major needs a newer PHP (contract example C)', () => {
    const v = decide(instance('32.0.14.1', '8.1.30'), undefined, POLICY);
    assert.equal(v.decision, 'blocked');
    assert.match(v.reason, /major 33 exists but needs PHP 8\.2, instance has 8\.1\.30/);
  });

  it('reports up to date when nothing is offered and nothing is withheld', () => {
    assert.equal(decide(instance('34.0.3.2'), undefined, POLICY).decision, 'up-to-date');
  });

  it('holds during a staged rollout that the updater would already get', () => {
    const v = decide(instance('33.0.5.1'), undefined, POLICY, { stagedRollout: offer('33.0.8.2') });
    assert.equal(v.decision, 'hold');
    assert.match(v.reason, /staged rollout/);
  });

  it('refuses autoupdater 0', () => {
    const v = decide(instance('33.0.5.1'), offer('33.0.8.2', { autoupdater: false }), POLICY);
    assert.equal(v.decision, 'blocked');
    assert.match(v.reason, /autoupdater 0/);
  });

  it('refuses a lower or equal version', () => {
    assert.equal(decide(instance('33.0.5.1'), offer('33.0.4.1'), POLICY).decision, 'blocked');
    assert.match(decide(instance('33.0.5.1'), offer('33.0.5.1'), POLICY).reason, /downgrade refused/);
  });

  it('refuses unsigned releases unless allowed', () => {
    const daily = offer('100.0.0.0', { signature: undefined, versionString: 'daily' });
    assert.equal(decide(instance('33.0.5.1'), daily, POLICY).decision, 'blocked');
    assert.match(decide(instance('33.0.5.1'), daily, POLICY).reason, /unsigned/);
  });

  it('refuses to skip a major', () => {
    assert.match(decide(instance('32.0.14.1'), offer('34.0.3.2'), { ...POLICY, majors: 'allow' }).reason, /skips a major/);
  });

  it('holds a major that would disable an enabled third-party app; a patch only warns', () => {
    const major = decide(instance('33.0.8.2', '8.2.29', [legacy]), offer('34.0.3.2'), { ...POLICY, majors: 'allow' });
    assert.equal(major.decision, 'hold');
    assert.match(major.reason, /would disable the enabled third-party app legacyapp \(max-version 33\)/);
    assert.deepEqual(major.appsDisabledByTarget.map((a) => a.id), ['legacyapp']);
    const patchApp = { ...legacy, max: '33.0.5' };
    const patch = decide(instance('33.0.5.1', '8.2.29', [patchApp]), offer('33.0.8.2'), POLICY);
    assert.equal(patch.decision, 'apply');
    assert.match(patch.warnings.join(), /would disable legacyapp/);
    assert.equal(decide(instance('33.0.8.2', '8.2.29', [{ ...legacy, enabled: false }]), offer('34.0.3.2'), { ...POLICY, majors: 'allow' }).decision, 'apply');
  });

  it('warns about an end-of-life major', () => {
    const v = decide(instance('32.0.5.1', '8.1.30'), offer('32.0.14.1', { eol: true, eolDate: '2026-09-27' }), POLICY);
    assert.equal(v.decision, 'apply');
    assert.match(v.warnings.join(), /past its end of life \(2026-09-27\)/);
  });
});
