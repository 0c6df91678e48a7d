import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { checkEntries } from '../../../integrity/archive/entry-safety.js';
import { readZipDirectory, ZipFormatError, ZipStructureError } from '../../../integrity/archive/zip-directory.js';
import { writeRawZip, type RawZipEntry, type RawZipOptions } from '../../helpers/zip-writer.js';

// What the central directory shows must be all the file holds: hidden entries, a second end
// record, local headers that disagree and overlapping data are refused while reading (issue 3).
describe('zip structure', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ncupd-zip-structure-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const host = createLocalHost();
  const base: RawZipEntry[] = [{ name: 'nextcloud/' }, { name: 'nextcloud/index.php', data: '<?php\n' }];
  let count = 0;
  const write = (entries: readonly RawZipEntry[], options: RawZipOptions = {}) => {
    const path = join(dir, `${count++}.zip`);
    writeRawZip(path, entries, options);
    return path;
  };
  const accepted = (path: string) => {
    const verdict = checkEntries(readZipDirectory(path));
    assert.ok(!('problem' in verdict), JSON.stringify(verdict));
    return verdict;
  };

  const hidden: [string, RawZipEntry[], RawZipOptions, RegExp][] = [
    // finding c: the end record, the central directory
    ['an entry count smaller than the directory', [...base, { name: 'evil-outside.txt', data: 'x' }], { declaredEntries: 2 }, /beyond the 2 entries/],
    ['a fake end record in the comment that fits', [...base, { name: 'nextcloud/../../evil.txt', data: 'x' }], { fakeEnd: { entries: 2 } }, /end-of-central-directory records fit/],
    ['a fake end record in the comment that does not fit', [...base, { name: 'nextcloud/../../evil.txt', data: 'x' }], { fakeEnd: { entries: 2, fits: false } }, /comment holds another/],
    ['bytes between the directory and the end record', base, { afterCentral: Buffer.alloc(60, 1) }, /does not end where/],
    ['bytes before the first entry', base, { prefix: Buffer.from('#!/bin/sh\n') }, /before the first entry/],
    ['bytes before the first entry, offsets not counting them', base, { prefix: Buffer.from('#!/bin/sh\n'), prefixUncounted: true }, /does not end where/],
    // finding d: local headers
    ['a hidden entry between the listed ones', [base[0]!, { name: 'outside.txt', data: 'x', hidden: true }, base[1]!], {}, /belong to no entry/],
    ['a hidden entry before the directory', [...base, { name: 'outside.txt', data: 'x', hidden: true }], {}, /belong to no entry/],
    ['two entries sharing data', [...base, { name: 'nextcloud/copy.php', sharesLocalOf: 1 }], {}, /overlap/],
    ['another local name', [...base, { name: 'nextcloud/a.txt', data: 'x', local: { name: 'evil/a.txt' } }], {}, /another name/],
    ['another local method', [...base, { name: 'nextcloud/a.txt', data: 'x', local: { method: 12 } }], {}, /another compression method/],
    ['other local flags', [...base, { name: 'nextcloud/a.txt', data: 'x', local: { flags: 0x0801 } }], {}, /another flags/],
    ['another local size', [...base, { name: 'nextcloud/a.txt', data: 'xyz', local: { uncompressedSize: 300 } }], {}, /another size/],
    ['a local size that hides data', [...base, { name: 'nextcloud/a.txt', data: 'xyz', local: { compressedSize: 1 } }], {}, /another size/],
    ['a data descriptor that lies', [...base, { name: 'nextcloud/a.txt', data: 'xyz', descriptor: 'signed', descriptorSizes: { compressed: 3, uncompressed: 3000 } }], {}, /data descriptor .* disagrees/],
  ];
  for (const [what, entries, options, reason] of hidden) {
    it(`refuses ${what}`, () => {
      const path = write(entries, options);
      assert.throws(() => readZipDirectory(path), (error: unknown) => {
        assert.ok(error instanceof ZipStructureError, String(error));
        assert.match((error as Error).message, reason);
        return true;
      });
    });
  }

  it('accepts data descriptors with and without their signature, 32 and 64 bits', () => {
    const verdict = accepted(write([...base,
      { name: 'nextcloud/a.txt', data: 'signed', descriptor: 'signed' },
      { name: 'nextcloud/b.txt', data: 'unsigned '.repeat(100), deflate: true, descriptor: 'unsigned' },
      { name: 'nextcloud/c.txt', data: 'wide', descriptor: 'signed', zip64: true },
      { name: 'nextcloud/d.txt', data: 'wide unsigned', descriptor: 'unsigned', zip64: true },
    ]));
    assert.equal(verdict.files, 5);
  });

  it('judges names by their raw bytes (not their decoded length)', () => {
    // 0xff is no UTF-8: decoded, each byte becomes three; the old overlap check saw overlaps.
    const verdict = accepted(write([...base, { name: 'nextcloud/x', rawName: Buffer.from('nextcloud/\xff\xfe.txt', 'latin1'), flags: 0, data: 'abc' }, { name: 'nextcloud/z.txt', data: 'z' }]));
    assert.equal(verdict.entries, 4);
  });

  it('reads zip64: more than 65535 entries and sizes in the zip64 extra field', () => {
    const entries: RawZipEntry[] = [{ name: 'nextcloud/' }, { name: 'nextcloud/big.txt', data: 'sized in zip64', zip64: true }];
    for (let i = 0; i < 70_000; i++) entries.push({ name: `nextcloud/f${i}`, data: '' });
    const verdict = accepted(write(entries, { zip64End: true }));
    assert.equal(verdict.entries, 70_002);
    assert.equal(verdict.largestEntry, 14);
  });

  it('refuses a classic end record that disagrees with the zip64 one', () => {
    // unzip takes a classic field unless it is the 0xffff placeholder: both readers must agree.
    const path = write([...base, { name: 'outside.txt', data: 'x' }], { zip64End: true });
    const bytes = readFileSync(path);
    bytes.writeUInt16LE(2, bytes.length - 22 + 8);
    bytes.writeUInt16LE(2, bytes.length - 22 + 10);
    writeFileSync(path, bytes);
    assert.throws(() => readZipDirectory(path), (error: unknown) => error instanceof ZipStructureError && /different central directories/.test(error.message));
  });

  it('accepts what Info-ZIP zip writes as a stream (data descriptors, zip64 from stdin)', async () => {
    const tree = join(dir, 'stream');
    mkdirSync(join(tree, 'nextcloud', 'lib'), { recursive: true });
    writeFileSync(join(tree, 'nextcloud', 'index.php'), '<?php\n'.repeat(500));
    writeFileSync(join(tree, 'nextcloud', 'lib', 'base.php'), '<?php // base\n');
    await host.run({ file: 'sh', args: ['-c', 'zip -qrX - nextcloud | cat > ../piped.zip && cd .. && printf "from stdin" | zip -q - - | cat > stdin.zip'], cwd: tree });
    // Written to a pipe, zip cannot seek back: data descriptors (flag bit 3); from stdin also zip64 ones.
    const piped = accepted(join(dir, 'piped.zip'));
    assert.equal(piped.files, 2);
    assert.ok(readZipDirectory(join(dir, 'piped.zip')).some((entry) => (entry.flags & 0x08) !== 0));
    const stdin = readZipDirectory(join(dir, 'stdin.zip'));
    assert.equal(stdin.length, 1);
    assert.equal(stdin[0]!.uncompressedSize, 10);
    assert.equal(stdin[0]!.flags & 0x08, 0x08);
  });

  it('reads 30,000 entries written by zip in well under a second', async function () {
    this.timeout(120_000);
    const tree = join(dir, 'many');
    for (let d = 0; d < 100; d++) {
      mkdirSync(join(tree, 'nextcloud', `d${d}`), { recursive: true });
      for (let f = 0; f < 300; f++) writeFileSync(join(tree, 'nextcloud', `d${d}`, `file-${f}.php`), `<?php // ${d}/${f}\n`);
    }
    await host.run({ file: 'zip', args: ['-rqX', '../many.zip', 'nextcloud'], cwd: tree, timeoutMs: 110_000 });
    const times: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = process.hrtime.bigint();
      const verdict = accepted(join(dir, 'many.zip'));
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      assert.equal(verdict.files, 30_000);
    }
    console.log(`      read and judged 30,101 entries in ${times.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
    // The best of three, so that a busy machine does not fail the suite; the first run is reported too.
    assert.ok(Math.min(...times) < 1000, times.join(', '));
  });

  it('turns every damaged byte or truncation into a ZipFormatError, never a crash', () => {
    const good = readFileSync(write([...base, { name: 'nextcloud/a.txt', data: 'aaaa'.repeat(50), deflate: true }, { name: 'nextcloud/b.txt', data: 'b', zip64: true, descriptor: 'signed' }]));
    const damaged = join(dir, 'damaged.zip');
    const attempt = (bytes: Buffer, what: string) => {
      writeFileSync(damaged, bytes);
      try {
        readZipDirectory(damaged);
      } catch (error) {
        assert.ok(error instanceof ZipFormatError, `${what}: ${String(error)}`);
      }
    };
    for (let i = 0; i < good.length; i++) {
      attempt(good.subarray(0, i), `truncated at ${i}`);
      for (const value of [0x00, 0xff, 0x7f, good[i]! ^ 0x01]) {
        const bytes = Buffer.from(good);
        bytes[i] = value;
        attempt(bytes, `byte ${i} set to ${value}`);
      }
    }
  });
});
