import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { checkEntries, DEFAULT_LIMITS } from '../../../integrity/archive/entry-safety.js';
import { readZipDirectory } from '../../../integrity/archive/zip-directory.js';
import { buildRelease } from '../../fixtures/release-builder/build-release.js';
import { writeRawZip, type RawZipEntry } from '../../helpers/zip-writer.js';

/** An Info-ZIP Unicode path extra field (0x7075) naming `name` for an entry stored as `stored`. */
function unicodePath(name: string, stored: string): Buffer {
  const field = Buffer.concat([Buffer.alloc(9), Buffer.from(name)]);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(field.length - 4, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(stored), 5);
  return field;
}

// Hostile archives are judged from the central directory before anything is written (issue 3).
describe('archive safety', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ncupd-zips-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base: RawZipEntry[] = [{ name: 'nextcloud/' }, { name: 'nextcloud/index.php', data: '<?php\n' }];
  const judge = (name: string, entries: RawZipEntry[]) => {
    const path = join(dir, `${name}.zip`);
    writeRawZip(path, entries);
    return checkEntries(readZipDirectory(path), DEFAULT_LIMITS);
  };

  it('accepts a real release zip made by `zip`, with counts and sizes', async () => {
    const release = await buildRelease({ version: '33.0.5' });
    const verdict = checkEntries(readZipDirectory(release.zipPath));
    assert.ok(!('problem' in verdict), JSON.stringify(verdict));
    assert.ok(verdict.entries > 50);
    assert.ok(verdict.expandedBytes > 10_000);
    assert.ok(verdict.files > 0 && verdict.files < verdict.entries);
    assert.ok(verdict.largestEntry > 0 && verdict.largestEntry <= verdict.expandedBytes);
  });

  const link = (name: string, target: string, more: Partial<RawZipEntry> = {}): RawZipEntry => ({ name, data: target, mode: 0o120777, ...more });
  const hostile: [string, RawZipEntry[], RegExp][] = [
    ['path traversal', [...base, { name: 'nextcloud/../../etc/cron.d/x', data: 'x' }], /climbs out/],
    ['absolute path', [...base, { name: '/etc/passwd', data: 'x' }], /absolute path/],
    ['link out', [...base, link('nextcloud/config', '/etc')], /symbolic link/],
    ['relative link out', [...base, link('nextcloud/lib/up', '../../../root')], /symbolic link/],
    ['link inside the archive', [...base, link('nextcloud/start.php', 'index.php')], /symbolic link/],
    // unzip reads Unix modes from other hosts too (finding a).
    ['link made on Atari', [...base, link('nextcloud/etc', '/etc', { host: 5 })], /symbolic link/],
    ['link made on BeOS', [...base, link('nextcloud/etc2', '../../../../../../etc', { host: 16 })], /symbolic link/],
    ['link made on FAT', [...base, link('nextcloud/etc3', '/etc', { host: 0 })], /symbolic link/],
    ['device made on Atari', [...base, { name: 'nextcloud/dev', mode: 0o020666, host: 5 }], /device, FIFO or socket/],
    ['link chain', [...base, { name: 'nextcloud/a/' }, { name: 'nextcloud/a/b/' }, link('nextcloud/a/b/s', '../..'), link('nextcloud/t', 'a/b/s/../../../etc')], /symbolic link/],
    ['link with damaged deflated data', [...base, { ...link('nextcloud/x', 'x'), data: Buffer.from('not deflate at all'), method: 8 }], /symbolic link/],
    ['device file', [...base, { name: 'nextcloud/dev-null', mode: 0o020666 }], /device, FIFO or socket/],
    ['fifo', [...base, { name: 'nextcloud/pipe', mode: 0o010644 }], /device, FIFO or socket/],
    ['duplicate names', [...base, { name: 'nextcloud/index.php', data: '<?php evil();\n' }], /appears twice/],
    ['outside the top folder', [...base, { name: 'other/readme.txt', data: 'x' }], /outside the top folder/],
    ['backslash', [...base, { name: 'nextcloud\\..\\x', data: 'x' }], /backslash/],
    // Only stored and deflate (finding b): unzip would honour these.
    ['bzip2', [...base, { name: 'nextcloud/up', data: 'BZh9', method: 12 }], /compression method 12/],
    ['LZMA', [...base, { name: 'nextcloud/up', data: 'x', method: 14 }], /compression method 14/],
    ['deflate64', [...base, { name: 'nextcloud/up', data: 'x', method: 9 }], /compression method 9/],
    ['encryption', [...base, { name: 'nextcloud/secret', data: 'x', flags: 0x0801 }], /encrypted/],
    ['strong encryption', [...base, { name: 'nextcloud/secret', data: 'x', flags: 0x0840 }], /encrypted/],
    // unzip extracts to the Unicode path field's name when the UTF-8 flag is clear.
    ['a Unicode path elsewhere', [...base, { name: 'nextcloud/harmless.txt', data: 'x', flags: 0, extra: unicodePath('config/config.php', 'nextcloud/harmless.txt') }], /Unicode path/],
    ['a folder entry with data', [...base, { name: 'nextcloud/dir/', data: 'hidden' }], /folder entry/],
    ['a folder mode on a file name', [...base, { name: 'nextcloud/dir', mode: 0o040755 }], /folder's mode/],
  ];
  for (const [what, entries, reason] of hostile) {
    it(`refuses ${what}`, () => {
      const verdict = judge(what.replace(/\s/g, '-'), entries);
      assert.ok('problem' in verdict, `${what} was accepted`);
      assert.match(verdict.problem, reason);
    });
  }

  it('accepts regular files and folders made on other hosts, and a Unicode path equal to the name', () => {
    const verdict = judge('other-hosts', [...base,
      { name: 'nextcloud/fat.txt', data: 'x', host: 0, mode: 0 },
      { name: 'nextcloud/ntfs.txt', data: 'x', host: 10, mode: 0o100644 },
      { name: 'nextcloud/same.txt', data: 'x', flags: 0, extra: unicodePath('nextcloud/same.txt', 'nextcloud/same.txt') },
    ]);
    assert.ok(!('problem' in verdict), JSON.stringify(verdict));
    assert.deepEqual(verdict, { entries: 5, expandedBytes: 9, largestEntry: 6, files: 4 });
  });

  it('refuses a zip bomb by its expansion ratio', () => {
    const verdict = judge('bomb', [...base, { name: 'nextcloud/zeros.bin', data: Buffer.alloc(64 * 1024 * 1024), deflate: true }]);
    assert.ok('problem' in verdict);
    assert.match(verdict.problem, /zip bomb/);
  });

  it('refuses archives that declare more than the expanded-size limit', () => {
    const path = join(dir, 'big.zip');
    writeRawZip(path, [...base, { name: 'nextcloud/a.bin', data: Buffer.alloc(3 * 1024 * 1024, 7) }]);
    const verdict = checkEntries(readZipDirectory(path), { ...DEFAULT_LIMITS, maxExpandedBytes: 1024 * 1024 });
    assert.ok('problem' in verdict);
    assert.match(verdict.problem, /expands to more than/);
  });
});
