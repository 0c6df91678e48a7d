import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEntries, DEFAULT_LIMITS } from '../../../integrity/archive/entry-safety.js';
import { readZipDirectory } from '../../../integrity/archive/zip-directory.js';
import { buildRelease } from '../../fixtures/release-builder/build-release.js';
import { writeRawZip, type RawZipEntry } from '../../helpers/zip-writer.js';

// Hostile archives are judged from the central directory before anything is written (issue 3).
describe('archive safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ncupd-zips-'));
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
  });

  const hostile: [string, RawZipEntry[], RegExp][] = [
    ['path traversal', [...base, { name: 'nextcloud/../../etc/cron.d/x', data: 'x' }], /climbs out/],
    ['absolute path', [...base, { name: '/etc/passwd', data: 'x' }], /absolute path/],
    ['link out', [...base, { name: 'nextcloud/config', data: '/etc', mode: 0o120777 }], /link to "\/etc"/],
    ['relative link out', [...base, { name: 'nextcloud/lib/up', data: '../../../root', mode: 0o120777 }], /outside the archive/],
    ['device file', [...base, { name: 'nextcloud/dev-null', mode: 0o020666 }], /device, FIFO or socket/],
    ['fifo', [...base, { name: 'nextcloud/pipe', mode: 0o010644 }], /device, FIFO or socket/],
    ['duplicate names', [...base, { name: 'nextcloud/index.php', data: '<?php evil();\n' }], /appears twice/],
    ['outside the top folder', [...base, { name: 'other/readme.txt', data: 'x' }], /outside the top folder/],
    ['backslash', [...base, { name: 'nextcloud\\..\\x', data: 'x' }], /backslash/],
  ];
  for (const [what, entries, reason] of hostile) {
    it(`refuses ${what}`, () => {
      const verdict = judge(what.replace(/\s/g, '-'), entries);
      assert.ok('problem' in verdict, `${what} was accepted`);
      assert.match(verdict.problem, reason);
    });
  }

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

  it('keeps links that stay inside the archive', () => {
    const verdict = judge('inner-link', [...base, { name: 'nextcloud/start.php', data: 'index.php', mode: 0o120777 }]);
    assert.ok(!('problem' in verdict), JSON.stringify(verdict));
  });
});
