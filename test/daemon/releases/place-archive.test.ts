// The verified archive reaches a remote instance byte for byte, checked there (issue 6, "Verified
// bytes only"), through the real sshd harness. The release is the release builder's real zip.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { createSshHost } from '../../../daemon/hosts/ssh/index.js';
import { placeVerifiedArchive } from '../../../daemon/releases/place-archive.js';
import type { VerifiedArchive } from '../../../daemon/releases/fetch-release.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { buildRelease } from '../../fixtures/release-builder/build-release.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir } from '../../fixtures/harness/temp-files.js';
import { targetFor } from '../hosts/ssh/ssh-target.js';

async function verifiedArchiveAt(path: string): Promise<VerifiedArchive> {
  const bytes = await readFile(path);
  return {
    path, fileName: basename(path), sha512: createHash('sha512').update(bytes).digest('hex'), size: bytes.length,
    sourceUrl: 'https://example.invalid/', fromCache: true, checks: [], entries: 0, expandedBytes: 0, largestEntry: 0, files: 0,
  };
}

describe('placing the verified archive on the instance host', function () {
  this.timeout(300_000);
  let server: SshdServer | undefined;
  let cache = '';
  let target = '';
  let archive: VerifiedArchive | undefined;
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
    cache = await makeTempDir('ncupd-place-cache');
    target = await makeTempDir('ncupd-place-target');
    const release = await buildRelease({ version: '33.0.6' });
    const cached = join(cache, basename(release.zipPath));
    await copyFile(release.zipPath, cached);
    archive = await verifiedArchiveAt(cached);
  });
  after(async () => {
    await server?.stop();
    for (const dir of [cache, target]) if (dir) await removeDir(dir);
  });

  it('uses the cached file itself on the local host', async () => {
    assert.deepEqual(await placeVerifiedArchive(createLocalHost(), archive!, target), archive);
  });

  it('copies it over SFTP into the run\'s folder, root-only, and checks its SHA-512 there', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      const placed = await placeVerifiedArchive(host, archive!, target);
      assert.equal(placed.path, join(target, archive!.fileName));
      assert.equal(placed.sha512, archive!.sha512);
      assert.ok((await readFile(placed.path)).equals(await readFile(archive!.path)));
      assert.equal((await stat(placed.path)).mode & 0o777, 0o600);
    } finally {
      await host.close();
    }
  });

  it('refuses and removes a copy whose bytes are not the verified ones', async () => {
    const host = createSshHost(targetFor(server!));
    try {
      // The cached file changed after it was verified (a disk error, a tampering process):
      // what arrives on the target no longer has the verified digest.
      const altered = join(cache, 'altered.zip');
      await copyFile(archive!.path, altered);
      const verified = await verifiedArchiveAt(altered);
      const bytes = await readFile(altered);
      const middle = bytes.length >> 1;
      bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
      await writeFile(altered, bytes);
      await assert.rejects(placeVerifiedArchive(host, verified, target), (e) => isNcupdError(e, 'NCUPD_SSH_TRANSFER_CORRUPT'));
      assert.equal(existsSync(join(target, 'altered.zip')), false);
    } finally {
      await host.close();
    }
  });
});
