import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { extractVerifiedZip, fileSizeLimit } from '../../../integrity/archive/bounded-extract.js';
import { checkEntries, type ArchiveSummary } from '../../../integrity/archive/entry-safety.js';
import { readZipDirectory } from '../../../integrity/archive/zip-directory.js';
import { buildRelease } from '../../fixtures/release-builder/build-release.js';
import { writeRawZip, type RawZipEntry } from '../../helpers/zip-writer.js';

// A size in the directory is a claim: unzip writes what the data inflates to (finding e).
describe('bounded zip extraction', () => {
  const host = createLocalHost();
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ncupd-extract-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base: RawZipEntry[] = [{ name: 'nextcloud/' }, { name: 'nextcloud/index.php', data: '<?php\n' }];
  let count = 0;
  const checked = (entries: RawZipEntry[]): { path: string; summary: ArchiveSummary; dest: string } => {
    const path = join(dir, `${count}.zip`);
    const dest = join(dir, `out-${count++}`);
    mkdirSync(dest);
    writeRawZip(path, entries);
    const summary = checkEntries(readZipDirectory(path));
    assert.ok(!('problem' in summary), JSON.stringify(summary));
    return { path, summary, dest };
  };
  const refusedAsUnsafe = (reason: RegExp) => (error: unknown) => {
    assert.ok(isNcupdError(error, 'NCUPD_ARCHIVE_UNSAFE'), String(error));
    assert.match(error.message, reason);
    return true;
  };

  it('stops an entry that inflates far beyond its declared size', async () => {
    // Declared 100 bytes, inflates to 200 MB: the checks pass it (no ratio above 1 MiB), unzip would write it all.
    const lying = checked([...base, { name: 'nextcloud/big.bin', data: Buffer.alloc(200 * 1024 * 1024), deflate: true, declaredSize: 100 }, { name: 'nextcloud/z.txt', data: 'z' }]);
    assert.equal(lying.summary.largestEntry, 100);
    await assert.rejects(extractVerifiedZip(host, lying.path, lying.dest, lying.summary), refusedAsUnsafe(/inflated past 4096 bytes/));
    assert.ok(statSync(join(lying.dest, 'nextcloud', 'big.bin')).size <= fileSizeLimit(100));
  });

  it('refuses an entry that inflates beyond its size but within the limit', async () => {
    const lying = checked([...base, { name: 'nextcloud/real.bin', data: Buffer.alloc(1024 * 1024, 3) }, { name: 'nextcloud/small.bin', data: Buffer.alloc(500_000), deflate: true, declaredSize: 10 }]);
    await assert.rejects(extractVerifiedZip(host, lying.path, lying.dest, lying.summary), refusedAsUnsafe(/declares 3 files of 1048592 bytes/));
  });

  it('refuses an extraction that does not match the declared counts', async () => {
    const honest = checked(base);
    await assert.rejects(extractVerifiedZip(host, honest.path, honest.dest, { ...honest.summary, files: 2 }), refusedAsUnsafe(/made 1 files of 6 bytes/));
  });

  it('extracts a real release zip', async () => {
    const release = await buildRelease({ version: '33.0.5' });
    const summary = checkEntries(readZipDirectory(release.zipPath));
    assert.ok(!('problem' in summary), JSON.stringify(summary));
    const dest = join(dir, 'release');
    mkdirSync(dest);
    await extractVerifiedZip(host, release.zipPath, dest, summary);
    assert.deepEqual(readdirSync(dest), ['nextcloud']);
    assert.ok(statSync(join(dest, 'nextcloud', 'version.php')).isFile());
  });

  it('rounds the file size limit up to the next block, strictly above the largest entry', () => {
    assert.equal(fileSizeLimit(0), 4096);
    assert.equal(fileSizeLimit(100), 4096);
    assert.equal(fileSizeLimit(4096), 8192);
    assert.equal(fileSizeLimit(5000), 8192);
  });
});
