// The CLI with an instance reached over SSH: `trust-host` records the key after showing it,
// `check` reads the fixture Nextcloud through the real sshd (php and occ as the web user via
// sudo), and `now` refuses the updater strategy, which cannot work remotely. The "remote" host is this machine
// on loopback, so the fixture instance's files are where sshd's commands look for them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRelease } from '../../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../../fixtures/harness/instance.js';
import { startUpdateServer, type UpdateServerDouble } from '../../../fixtures/update-server/index.js';
import { generateKey, sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir } from '../../../fixtures/harness/temp-files.js';
import { parseJson, runNcupd, transcript } from '../../../helpers/run-ncupd.js';
import { findLeaks } from '../../../helpers/secret-scan.js';

interface ErrorOutput { error: { code: string; message: string } }

describe('ncupd with an instance over SSH (trust-host, check, now)', function () {
  this.timeout(300_000);
  let server: SshdServer | undefined;
  let updates: UpdateServerDouble | undefined;
  let instance: FixtureInstance | undefined;
  let scratch = '';
  let configPath = '';
  let knownHosts = '';

  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
    scratch = await makeTempDir('ncupd-ssh-cli-test');
    instance = await createInstance({ release: await buildRelease({ version: '33.0.5' }), installedAt: '1700000000.1225' });
    updates = await startUpdateServer({ today: '2026-11-27', releases: { releases: [{ version: '33.0.6', internalVersion: '33.0.6.1', channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18' }], daily: [] } });
    knownHosts = join(scratch, 'known_hosts');
    configPath = join(scratch, 'config.yaml');
    await writeFile(configPath, [
      `stateDir: ${join(scratch, 'state')}`,
      `cacheDir: ${join(scratch, 'cache')}`,
      'instances:',
      '  - name: remote',
      `    path: ${instance.root}`,
      `    webUser: ${instance.webUser}`,
      `    updateServer: ${updates.url}`,
      '    host:',
      '      ssh:',
      `        host: ${server.host}`,
      `        port: ${server.port}`,
      '        user: root',
      `        identityFile: ${server.privateKeyPath}`,
      `        knownHostsFile: ${knownHosts}`,
      '',
    ].join('\n'), { mode: 0o600 });
  });
  after(async () => {
    await updates?.close();
    await instance?.destroy();
    await server?.stop();
    if (scratch) await removeDir(scratch);
  });

  it('refuses to check an instance whose host key is not yet known', async () => {
    const result = await runNcupd(['check', '--json', '--config', configPath]);
    assert.notEqual(result.exitCode, 0);
    assert.equal(parseJson<ErrorOutput>(result.stdout).error.code, 'NCUPD_SSH_HOST_KEY_UNKNOWN');
    assert.ok(result.stdout.includes(server!.hostKeyFingerprintSha256), 'the error names the key it refused');
  });

  it('trust-host shows the key and records nothing without confirmation', async () => {
    const result = await runNcupd(['trust-host', 'remote', '--config', configPath]);
    assert.equal(result.exitCode, 1);
    assert.ok(result.stdout.includes(`[127.0.0.1]:${server!.port} presents a ssh-ed25519 key`));
    assert.ok(result.stdout.includes(server!.hostKeyFingerprintSha256));
    assert.equal(existsSync(knownHosts), false);
  });

  it('trust-host --yes records the key hashed in a root-only file, once', async () => {
    const result = await runNcupd(['trust-host', 'remote', '--config', configPath, '--yes']);
    assert.equal(result.exitCode, 0, result.stderr);
    const text = await readFile(knownHosts, 'utf8');
    assert.match(text, /^\|1\|[^ ]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    assert.ok(!text.includes('127.0.0.1'), 'the host name is hashed');
    assert.equal((await stat(knownHosts)).mode & 0o777, 0o600);
    const again = await runNcupd(['trust-host', 'remote', '--config', configPath, '--yes']);
    assert.equal(again.exitCode, 0);
    assert.match(again.stdout, /Already trusted/);
    assert.equal(await readFile(knownHosts, 'utf8'), text);
  });

  it('trust-host refuses to add a second key for a host that has one (a changed key is decided by hand)', async () => {
    const other = await generateKey(scratch, 'other_host');
    const [type, data] = other.publicKey.split(/\s+/);
    const stale = join(scratch, 'stale_known_hosts');
    await writeFile(stale, `[127.0.0.1]:${server!.port} ${type} ${data}\n`, { mode: 0o600 });
    const before = await readFile(stale, 'utf8');
    const result = await runNcupd(['trust-host', '--host', '127.0.0.1', '--port', String(server!.port), '--known-hosts', stale, '--yes']);
    assert.notEqual(result.exitCode, 0);
    assert.match(result.stderr, /NCUPD_SSH_HOST_KEY_CHANGED/);
    assert.equal(await readFile(stale, 'utf8'), before);
  });

  it('checks the instance over SSH: version read with its PHP as the web user', async () => {
    const result = await runNcupd(['check', '--json', '--config', configPath]);
    assert.equal(result.exitCode, 0, result.stdout + result.stderr);
    const out = parseJson<{ decision: string; installed: { version: string }; offer: { version: string } | null }>(result.stdout);
    assert.equal(out.installed.version, '33.0.5.1');
    assert.equal(out.offer?.version, '33.0.6.1');
    assert.equal(out.decision, 'apply');
    const fields = decodeURIComponent(updates!.requests.at(-1)?.rawQuery.replace(/^version=/, '') ?? '').split('x');
    assert.equal(fields[4], '1700000000.1225', 'core/installedat read through occ over SSH');
  });

  it('printed no key material', async () => {
    const key = (await readFile(server!.privateKeyPath, 'utf8')).split('\n').filter((line) => line.length > 20);
    assert.deepEqual(findLeaks(transcript, key), []);
  });
});
