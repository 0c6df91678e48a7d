// `ncupd check` end to end: fixture instances read with real php, the update server double
// speaking the real protocol, the built CLI run as an operator would. Fake: the internet
// (the update server is a loopback double).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { startUpdateServer, unreachableUrl, type Release, type UpdateServerDouble } from '../../fixtures/update-server/index.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';
import { treeHash } from '../../helpers/tree-hash.js';

interface CheckOutput {
  decision: string;
  kind: string | null;
  reason: string;
  installed: { version: string; php: string; channel: string };
  offer: { version: string } | null;
  warnings: string[];
  appsDisabledByTarget: { id: string }[];
  dataSnapshot: { dataDir: { fstype: string; kind: string }; setting: string; method: string; recommended: string; risk: string | null; database: { type: string; coveredByDataSnapshot: boolean } };
}

const release = (version: string, internalVersion: string, extra: Partial<Release> = {}): Release =>
  ({ version, internalVersion, channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18', ...extra });

describe('ncupd check', function () {
  this.timeout(300_000);
  let n: BuiltRelease;
  let server: UpdateServerDouble;
  let instance: FixtureInstance;
  const others: FixtureInstance[] = [];

  before(async () => {
    n = await buildRelease({ version: '33.0.5' });
    server = await startUpdateServer({ today: '2026-11-27', releases: { releases: [release('33.0.6', '33.0.6.1'), release('34.0.0', '34.0.0.1', { minPHPVersion: '8.2', eol: '2027-06-09' })], daily: [{ major: 33, minPHPVersion: '8.1', eol: '' }] } });
    instance = await createInstance({ release: n, installedAt: '1700000000.1225' });
  });
  after(async () => {
    await server.close();
    for (const i of [instance, ...others]) await i.destroy();
  });
  afterEach(() => server.setFault('none'));

  const check = (target: FixtureInstance, extra: string[] = []) =>
    runNcupd(['check', '--json', '--path', target.root, '--web-user', target.webUser, '--update-server', server.url, ...extra]);

  it('names the filesystem under the data directory and the database, and reports a data directory without snapshot as a risk (issue 9)', async () => {
    const out = parseJson<CheckOutput>((await check(instance)).stdout);
    assert.deepEqual([out.dataSnapshot.dataDir.fstype, out.dataSnapshot.dataDir.kind], ['ext4', 'other']);
    assert.deepEqual([out.dataSnapshot.setting, out.dataSnapshot.method, out.dataSnapshot.recommended], ['auto', 'none', 'hardlink']);
    assert.match(out.dataSnapshot.risk ?? '', /not snapshotted/);
    assert.deepEqual(out.dataSnapshot.database, { ...out.dataSnapshot.database, type: 'sqlite3', coveredByDataSnapshot: false });
    const text = await runNcupd(['check', '--path', instance.root, '--web-user', instance.webUser, '--update-server', server.url]);
    assert.match(text.stdout, /data snapshot: none \(dataSnapshot.method auto\); cheapest exact here: hardlink/);
    assert.match(text.stdout, /risk: the data directory is not snapshotted/);
  });

  it('reads the instance with its own PHP and sends the 14-field request Nextcloud sends', async () => {
    const result = await check(instance);
    assert.equal(result.exitCode, 0, result.stderr);
    const out = parseJson<CheckOutput>(result.stdout);
    assert.equal(out.installed.version, '33.0.5.1');
    assert.equal(out.installed.channel, 'stable');
    const fields = decodeURIComponent(server.requests.at(-1)?.rawQuery.replace(/^version=/, '') ?? '').split('x');
    assert.equal(fields.length, 14);
    assert.deepEqual(fields.slice(0, 4), ['33', '0', '5', '1']);
    assert.equal(fields[4], '1700000000.1225', 'core/installedat read through occ');
    assert.ok(Math.abs(Number(fields[5]) - Date.now() / 1000) < 600, 'last check is now');
    assert.equal(fields[6], 'stable');
    assert.equal(fields[8], '2026-05-01T10:00:00+00:00 abcdef0123456789abcdef0123456789abcdef01');
    assert.deepEqual(fields.slice(9, 11), out.installed.php.split('.').slice(0, 2));
  });

  it('gets the offers of the contract\'s worked examples A and B from fixture instances (real PHP 8.2; C needs PHP 8.1, see update-server-client.test)', async () => {
    const contract = await startUpdateServer({ today: '2026-11-27' });
    try {
      const a = await runNcupd(['check', '--json', '--path', instance.root, '--web-user', instance.webUser, '--update-server', contract.url]);
      const offerA = parseJson<CheckOutput>(a.stdout).offer as { version: string; versionString: string; eolDate: string } | null;
      assert.deepEqual([offerA?.version, offerA?.versionString, offerA?.eolDate], ['33.0.8.2', '33.0.8', '2027-02-18']);
      const latest = await createInstance({ release: await buildRelease({ version: '33.0.8', revision: 2 }) });
      others.push(latest);
      const b = parseJson<CheckOutput>((await runNcupd(['check', '--json', '--path', latest.root, '--web-user', latest.webUser, '--update-server', contract.url])).stdout);
      assert.equal(b.offer?.version, '34.0.3.2');
      assert.equal(b.decision, 'hold');
    } finally {
      await contract.close();
    }
  });

  it('applies a patch release', async () => {
    const out = parseJson<CheckOutput>((await check(instance)).stdout);
    assert.equal(out.decision, 'apply');
    assert.equal(out.kind, 'patch');
    assert.equal(out.offer?.version, '33.0.6.1');
  });

  it('prints the decision and its reason in words', async () => {
    const result = await runNcupd(['check', '--path', instance.root, '--web-user', instance.webUser, '--update-server', server.url]);
    assert.match(result.stdout, /default: Nextcloud 33\.0\.5 \(33\.0\.5\.1\), PHP 8\.\d+\.\d+, channel stable/);
    assert.match(result.stdout, /decision: apply: maintenance release 33\.0\.6 for 33\.0\.5/);
  });

  describe('from the newest patch', () => {
    let latest: FixtureInstance;
    let withApp: FixtureInstance;
    before(async () => {
      const patch = await buildRelease({ version: '33.0.6' });
      const major = await buildRelease({ version: '34.0.0', faults: ['incompatible-app'] });
      latest = await createInstance({ release: patch });
      withApp = await createInstance({ release: patch, extraApps: major.extraApps });
      others.push(latest, withApp);
    });

    it('holds a major by default', async () => {
      const out = parseJson<CheckOutput>((await check(latest)).stdout);
      assert.equal(out.decision, 'hold');
      assert.equal(out.reason, 'major 34.0.0 available, held: majors need approval (policy.majors: allow)');
    });

    it('applies one major hop when allowed', async () => {
      const out = parseJson<CheckOutput>((await check(latest, ['--allow-major'])).stdout);
      assert.equal(out.decision, 'apply');
      assert.equal(out.kind, 'major');
    });

    it('says "staged rollout" when the server offers the major to the updater but not yet to this instance', async () => {
      server.setReleases({ releases: [release('33.0.6', '33.0.6.1'), release('34.0.0', '34.0.0.1', { minPHPVersion: '8.2', eol: '2027-06-09', deploy: 30 })], daily: [] });
      try {
        const late = await createInstance({ release: (await buildRelease({ version: '33.0.6' })), installedAt: '1700000000.1299' });
        others.push(late);
        const out = parseJson<CheckOutput>((await check(late)).stdout);
        assert.equal(out.offer, null, 'the instance itself is outside the 30 % rollout');
        assert.equal(out.decision, 'hold');
        assert.match(out.reason, /staged rollout: 34\.0\.0 is published but not yet offered/);
      } finally {
        server.setReleases({ releases: [release('33.0.6', '33.0.6.1'), release('34.0.0', '34.0.0.1', { minPHPVersion: '8.2', eol: '2027-06-09' })], daily: [{ major: 33, minPHPVersion: '8.1', eol: '' }] });
      }
    });

    it('holds a major that would disable an enabled third-party app, naming it', async () => {
      const out = parseJson<CheckOutput>((await check(withApp, ['--allow-major'])).stdout);
      assert.equal(out.decision, 'hold');
      assert.match(out.reason, /legacyapp \(max-version 33\)/);
      assert.deepEqual(out.appsDisabledByTarget.map((a) => a.id), ['legacyapp']);
    });
  });

  it('refuses autoupdater 0 and a lower version offered', async () => {
    server.setFault('au0');
    assert.match(parseJson<CheckOutput>((await check(instance)).stdout).reason, /autoupdater 0/);
    server.setFault('lower');
    const lower = parseJson<CheckOutput>((await check(instance)).stdout);
    assert.equal(lower.decision, 'blocked');
    assert.match(lower.reason, /downgrade refused/);
  });

  it('refuses the unsigned daily channel', async () => {
    const daily = await createInstance({ release: n, config: { 'updater.release.channel': 'daily' } });
    others.push(daily);
    const out = parseJson<CheckOutput>((await check(daily)).stdout);
    assert.equal(out.installed.channel, 'daily');
    assert.equal(out.offer?.version, '100.0.0.0');
    assert.equal(out.decision, 'blocked');
    assert.match(out.reason, /unsigned/);
  });

  it('reads instances on MariaDB and PostgreSQL without their passwords reaching any output', async () => {
    for (const db of ['mysql', 'pgsql'] as const) {
      const target = await createInstance({ release: n, db, rows: 50 });
      others.push(target);
      const json = await check(target);
      const text = await runNcupd(['check', '--path', target.root, '--web-user', target.webUser, '--update-server', server.url]);
      assert.equal(parseJson<CheckOutput>(json.stdout).decision, 'apply');
      for (const output of [json.stdout, json.stderr, text.stdout, text.stderr]) assert.ok(!output.includes(target.database.password));
    }
  });

  it('takes the channel from *.config.php merged over config.php', async () => {
    const merged = await createInstance({ release: n, splitConfig: { 'updater.release.channel': 'beta' } });
    others.push(merged);
    assert.equal(parseJson<CheckOutput>((await check(merged)).stdout).installed.channel, 'beta');
  });

  const serverFaults: [string, () => Promise<string[]>, string][] = [
    ['HTTP 500', async () => (server.setFault('http500'), []), 'NCUPD_UPDATE_SERVER_HTTP'],
    ['invalid XML', async () => (server.setFault('badxml'), []), 'NCUPD_UPDATE_SERVER_INVALID'],
    ['an unreachable server', async () => ['--update-server', await unreachableUrl()], 'NCUPD_UPDATE_SERVER_UNREACHABLE'],
  ];
  for (const [what, arrange, code] of serverFaults) {
    it(`ends ${what} with ${code}, exit 4, the instance untouched`, async () => {
      const before = treeHash(instance.root);
      const extra = await arrange();
      const result = extra.length > 0
        ? await runNcupd(['check', '--json', '--path', instance.root, '--web-user', instance.webUser, ...extra])
        : await check(instance);
      assert.equal(result.exitCode, 4);
      assert.equal(parseJson<{ error: { code: string; hint: string } }>(result.stdout).error.code, code);
      assert.equal(treeHash(instance.root), before);
    });
  }

  it('reads several instances in parallel, reports them in config order, and one broken instance does not hide the others', async () => {
    const work = mkdtempSync(join(tmpdir(), 'ncupd-check-fleet-'));
    try {
      const config = join(work, 'config.yaml');
      const entry = (name: string, path: string) => [`  - name: ${name}`, `    path: ${path}`, `    webUser: ${instance.webUser}`, `    updateServer: ${server.url}`];
      writeFileSync(config, ['instances:', ...entry('one', instance.root), ...entry('gone', join(work, 'no-such-nextcloud')), ...entry('two', instance.root), ''].join('\n'));
      const result = await runNcupd(['check', '--json', '--config', config, '--parallel', '2']);
      const out = parseJson<(CheckOutput & { instance?: string; error?: { code: string; instance: string; hint: string } })[]>(result.stdout);
      assert.equal(out.length, 3);
      assert.equal(out[0]!.decision, 'apply');
      assert.equal(out[1]!.instance, 'gone');
      assert.equal(out[1]!.error?.instance, 'gone', 'the error names the instance it belongs to');
      assert.ok(out[1]!.error?.code.startsWith('NCUPD_'), JSON.stringify(out[1]));
      assert.ok(out[1]!.error?.hint);
      assert.equal(out[2]!.decision, 'apply', 'the instance after the broken one is still read');
      assert.notEqual(result.exitCode, 0, 'a failed instance makes the exit code say so');
      const text = await runNcupd(['check', '--config', config]);
      assert.match(text.stderr, /error NCUPD_\w+ \(instance gone/);
      assert.deepEqual(text.stdout.split('\n').filter((line) => /^\S+: Nextcloud /.test(line)).map((line) => line.split(':')[0]), ['one', 'two'], 'both readable instances are reported in text too, in order');
      const refused = await runNcupd(['check', '--json', '--config', config, '--parallel', '0']);
      assert.equal(parseJson<{ error: { code: string } }>(refused.stdout).error.code, 'NCUPD_USAGE');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
