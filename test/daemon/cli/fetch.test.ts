// `ncupd fetch` end to end: download from the update server double's loopback file server,
// verification against the test certificate (standing in for Nextcloud's), refusals of forged,
// corrupted and hostile archives. Fake: the internet (mirrors are loopback URLs of the double).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { signFile } from '../../fixtures/release-builder/test-pki.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { startUpdateServer, unreachableUrl, type Release, type UpdateServerDouble } from '../../fixtures/update-server/index.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';
import { treeHash } from '../../helpers/tree-hash.js';
import { writeRawZip } from '../../helpers/zip-writer.js';
import { scannedDirectories } from '../../helpers/secret-scan.js';

interface FetchOutput {
  decision: string;
  archive: { path: string; sha512: string; fromCache: boolean; checks: { verifier: string; outcome: string }[] };
}

describe('ncupd fetch', function () {
  this.timeout(300_000);
  let n: BuiltRelease;
  let next: BuiltRelease;
  let server: UpdateServerDouble;
  let instance: FixtureInstance;
  let work: string;
  const ZIP = 'nextcloud-33.0.6.zip';

  const offerWith = (extra: Partial<Release> = {}, urls?: string[]) => server.setReleases({
    releases: [{ version: '33.0.6', internalVersion: '33.0.6.1', channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18',
      downloads: { zip: urls ?? [server.downloadUrl(ZIP)], bz2: [] }, signature: next.zipSignature.replace(/\n/g, ''), ...extra }],
    daily: [],
  });
  const serve = (path: string) => {
    server.serveFile(ZIP, path);
    server.serveFile(`${ZIP}.sha512`, `${next.zipPath}.sha512`);
    server.serveFile(`${ZIP}.asc`, `${next.zipPath}.asc`);
  };
  const cacheDir = () => join(work, 'cache');
  const fetch = (extra: string[] = [], trust = next.pki.coreCertPath) => runNcupd(['fetch', '--json', '--path', instance.root, '--web-user', instance.webUser,
    '--update-server', server.url, '--trust-cert', trust, '--cache-dir', cacheDir(), ...extra]);
  const refusal = (result: { exitCode: number | undefined; stdout: string }) => {
    assert.equal(result.exitCode, 5, result.stdout);
    return parseJson<{ error: { code: string; message: string } }>(result.stdout).error;
  };
  const cachedArchives = () => (existsSync(join(cacheDir(), 'archives')) ? readdirSync(join(cacheDir(), 'archives')) : []);

  before(async () => {
    [n, next] = await Promise.all([buildRelease({ version: '33.0.5' }), buildRelease({ version: '33.0.6' })]);
    server = await startUpdateServer({ today: '2026-11-27' });
    instance = await createInstance({ release: n });
    work = mkdtempSync(join(tmpdir(), 'ncupd-fetch-'));
    scannedDirectories.push(join(work, 'cache'));
  });
  beforeEach(() => {
    rmSync(cacheDir(), { recursive: true, force: true });
    serve(next.zipPath);
    offerWith();
    server.setFault('none');
  });
  after(async () => {
    await server.close();
    await instance.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('downloads, verifies signature and checksum in one pass, and prints path and digest', async () => {
    const before = treeHash(instance.root);
    const result = await fetch();
    assert.equal(result.exitCode, 0, result.stderr + result.stdout);
    const out = parseJson<FetchOutput>(result.stdout);
    assert.equal(out.archive.sha512, next.zipSha512);
    assert.ok(out.archive.path.startsWith(cacheDir()), 'the archive lives in the cache, outside the Nextcloud root');
    assert.deepEqual(readFileSync(out.archive.path), readFileSync(next.zipPath));
    assert.deepEqual(out.archive.checks.map((c) => `${c.verifier}:${c.outcome}`), ['rsa-signature:passed', 'checksum:passed', 'openpgp:skipped']);
    assert.equal(treeHash(instance.root), before, 'nothing on the instance changed');
    const again = parseJson<FetchOutput>((await fetch()).stdout);
    assert.equal(again.archive.fromCache, true);
  });

  it('prints the path and digest on a terminal-less run too', async () => {
    const result = await runNcupd(['fetch', '--path', instance.root, '--web-user', instance.webUser, '--update-server', server.url, '--trust-cert', next.pki.coreCertPath, '--cache-dir', cacheDir()]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`sha512: ${next.zipSha512}`));
    assert.match(result.stdout, /ok: RSA-SHA512 signature verified/);
  });

  it('survives a connection cut in the middle (tries the mirror again)', async () => {
    const before = server.requests.filter((r) => r.path.endsWith(ZIP)).length;
    server.serveFile(ZIP, next.zipPath, { cutAfterBytes: Math.floor(next.zipSize / 2) });
    const result = await fetch();
    assert.equal(result.exitCode, 0, result.stdout);
    assert.equal(parseJson<FetchOutput>(result.stdout).archive.sha512, next.zipSha512);
    assert.ok(server.requests.filter((r) => r.path.endsWith(ZIP)).length - before >= 2, 'a second request after the cut');
  });

  it('resumes a partial download with a Range request and hashes every byte once', async () => {
    // What a cut leaves behind, made deterministic: the first half of the archive in the partial folder.
    mkdirSync(join(cacheDir(), 'partial'), { recursive: true, mode: 0o700 });
    writeFileSync(join(cacheDir(), 'partial', `${ZIP}.part`), readFileSync(next.zipPath).subarray(0, Math.floor(next.zipSize / 2)));
    const result = await fetch();
    assert.equal(result.exitCode, 0, result.stdout);
    assert.equal(parseJson<FetchOutput>(result.stdout).archive.sha512, next.zipSha512);
    assert.equal(server.requests.filter((r) => r.path.endsWith(ZIP)).at(-1)?.headers.range, `bytes=${Math.floor(next.zipSize / 2)}-`);
  });

  it('moves to the next mirror when one cannot be reached', async () => {
    offerWith({}, [`${await unreachableUrl()}${ZIP}`, server.downloadUrl(ZIP)]);
    assert.equal((await fetch()).exitCode, 0);
  });

  it('verifies the OpenPGP signature against the pinned fingerprint, and refuses another key', async () => {
    const config = (fingerprint: string) => {
      const path = join(work, `pgp-${fingerprint.slice(0, 6)}.yaml`);
      writeFileSync(path, [`cacheDir: ${cacheDir()}`, 'instances:', '  - name: pgp', `    path: ${instance.root}`, `    webUser: ${instance.webUser}`,
        `    updateServer: ${server.url}`, '    trust:', `      certificate: ${next.pki.coreCertPath}`, `      pgpKeyFile: ${next.pki.gpgPublicKeyPath}`, `      pgpFingerprint: ${fingerprint}`, ''].join('\n'));
      return path;
    };
    const good = await runNcupd(['fetch', '--json', '--config', config(next.pki.gpgFingerprint)]);
    assert.equal(good.exitCode, 0, good.stdout);
    assert.ok(parseJson<FetchOutput>(good.stdout).archive.checks.some((c) => c.verifier === 'openpgp' && c.outcome === 'passed'));
    rmSync(cacheDir(), { recursive: true, force: true });
    const wrongKey = await runNcupd(['fetch', '--json', '--config', config('28806A878AE423A28372792ED75899B9A724937A')]);
    assert.equal(wrongKey.exitCode, 2, 'a key file that does not hold the pinned fingerprint is a configuration error');
    assert.equal(parseJson<{ error: { code: string } }>(wrongKey.stdout).error.code, 'NCUPD_PGP_KEY_MISMATCH');
  });

  const refusals: [string, () => Promise<string[]>, string][] = [
    ['a bad signature', async () => (offerWith({ signature: server.sign('not the archive') }), []), 'NCUPD_SIGNATURE_INVALID'],
    ['a certificate other than the pinned one', async () => ['--trust-cert', next.pki.otherCertPath], 'NCUPD_SIGNATURE_INVALID'],
    ['Nextcloud\'s real certificate for a test-signed archive', async () => ['--trust-cert', 'builtin:nextcloud'], 'NCUPD_SIGNATURE_INVALID'],
    ['a checksum mismatch', async () => {
      const wrong = join(work, 'wrong.sha512');
      writeFileSync(wrong, `${'0'.repeat(128)}  ${ZIP}\n`);
      server.serveFile(`${ZIP}.sha512`, wrong);
      return [];
    }, 'NCUPD_CHECKSUM_MISMATCH'],
    ['a corrupted download', async () => {
      const corrupt = join(work, 'corrupt.zip');
      copyFileSync(next.zipPath, corrupt);
      const bytes = readFileSync(corrupt);
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
      writeFileSync(corrupt, bytes);
      server.serveFile(ZIP, corrupt);
      return [];
    }, 'NCUPD_SIGNATURE_INVALID'],
    ['a hostile archive, validly signed', async () => {
      const hostile = join(work, 'hostile.zip');
      writeRawZip(hostile, [{ name: 'nextcloud/' }, { name: 'nextcloud/index.php', data: '<?php\n' }, { name: 'nextcloud/../../etc/cron.d/x', data: '* * * * * root id\n' }]);
      server.serveFile(ZIP, hostile);
      offerWith({ signature: (await signFile(hostile, next.pki.coreKeyPath)).replace(/\n/g, '') });
      server.serveFile(`${ZIP}.sha512`, join(work, 'absent'));
      return [];
    }, 'NCUPD_ARCHIVE_UNSAFE'],
  ];
  for (const [what, arrange, code] of refusals) {
    it(`refuses ${what} (${code}), keeps nothing, touches nothing`, async () => {
      const before = treeHash(instance.root);
      const error = refusal(await fetch(await arrange()));
      assert.equal(error.code, code, error.message);
      assert.deepEqual(cachedArchives(), [], 'refused bytes are not kept in the cache');
      assert.equal(treeHash(instance.root), before);
    });
  }

  it('refuses an archive larger than the limit', async () => {
    const path = join(work, 'small-limit.yaml');
    writeFileSync(path, [`cacheDir: ${cacheDir()}`, 'instances:', '  - name: small', `    path: ${instance.root}`, `    webUser: ${instance.webUser}`,
      `    updateServer: ${server.url}`, '    trust:', `      certificate: ${next.pki.coreCertPath}`, '    download:', '      maxBytes: 1000', ''].join('\n'));
    assert.equal(refusal(await runNcupd(['fetch', '--json', '--config', path])).code, 'NCUPD_DOWNLOAD_TOO_LARGE');
  });

  it('gives up on an update server slower than the timeout, exit 4', async () => {
    const path = join(work, 'timeout.yaml');
    writeFileSync(path, ['instances:', '  - name: slow', `    path: ${instance.root}`, `    webUser: ${instance.webUser}`, `    updateServer: ${server.url}`, '    download:', '      timeoutSeconds: 1', ''].join('\n'));
    server.setFault('slow', { delayMs: 5000 });
    const before = treeHash(instance.root);
    const result = await runNcupd(['fetch', '--json', '--config', path]);
    assert.equal(result.exitCode, 4);
    assert.equal(parseJson<{ error: { code: string } }>(result.stdout).error.code, 'NCUPD_UPDATE_SERVER_TIMEOUT');
    assert.equal(treeHash(instance.root), before);
  });

  it('refuses a target whose lib/versioncheck.php excludes the instance\'s PHP (exit 3)', async () => {
    const tooNew = await buildRelease({ version: '33.0.6', faults: ['php-too-new'], tarBz2: false });
    server.serveFile(ZIP, tooNew.zipPath);
    server.serveFile(`${ZIP}.sha512`, `${tooNew.zipPath}.sha512`);
    offerWith({ signature: tooNew.zipSignature.replace(/\n/g, '') });
    const result = await fetch();
    assert.equal(result.exitCode, 3, result.stdout);
    const error = parseJson<{ error: { code: string; message: string } }>(result.stdout).error;
    assert.equal(error.code, 'NCUPD_PHP_UNSUPPORTED');
    assert.match(error.message, /accepts PHP 8\.\d+ up to below 8\.5, the instance has 8\./);
  });
});
