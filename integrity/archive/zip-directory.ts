import { inflateRawSync } from 'node:zlib';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** One entry of a zip's central directory: all ncupd needs to judge it before anything is written. */
export interface ZipEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly method: number;
  readonly encrypted: boolean;
  /** Unix mode bits when the archive was made on Unix, else undefined. */
  readonly unixMode: number | undefined;
  readonly localHeaderOffset: number;
  /** Target of a symbolic link entry (its stored content). */
  linkTarget?: string;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
export const S_IFMT = 0o170000;
export const S_IFLNK = 0o120000;

export class ZipFormatError extends Error {}

function read(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const got = readSync(fd, buffer, 0, length, position);
  if (got !== length) throw new ZipFormatError(`unexpected end of file at ${position}`);
  return buffer;
}

function findEndOfDirectory(fd: number, size: number): { entries: number; cdSize: number; cdOffset: number } {
  const tail = Math.min(size, 65_557);
  const buffer = read(fd, size - tail, tail);
  for (let i = tail - 22; i >= 0; i--) {
    if (buffer.readUInt32LE(i) !== EOCD) continue;
    let entries = buffer.readUInt16LE(i + 10);
    let cdSize = buffer.readUInt32LE(i + 12);
    let cdOffset = buffer.readUInt32LE(i + 16);
    const locator = size - tail + i - 20;
    if (locator >= 0 && read(fd, locator, 4).readUInt32LE(0) === ZIP64_LOCATOR) {
      const z64 = Number(read(fd, locator + 8, 8).readBigUInt64LE(0));
      const record = read(fd, z64, 56);
      if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipFormatError('zip64 end record missing');
      entries = Number(record.readBigUInt64LE(32));
      cdSize = Number(record.readBigUInt64LE(40));
      cdOffset = Number(record.readBigUInt64LE(48));
    }
    return { entries, cdSize, cdOffset };
  }
  throw new ZipFormatError('no end-of-central-directory record: not a zip archive');
}

function zip64Extra(extra: Buffer, sizes: { uncompressed: number; compressed: number; offset: number }): void {
  for (let i = 0; i + 4 <= extra.length;) {
    const id = extra.readUInt16LE(i);
    const length = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let p = i + 4;
      for (const key of ['uncompressed', 'compressed', 'offset'] as const) {
        if (sizes[key] === 0xffffffff && p + 8 <= i + 4 + length) {
          sizes[key] = Number(extra.readBigUInt64LE(p));
          p += 8;
        }
      }
    }
    i += 4 + length;
  }
}

function readLinkTarget(fd: number, entry: ZipEntry): string {
  const header = read(fd, entry.localHeaderOffset, 30);
  if (header.readUInt32LE(0) !== LOCAL) throw new ZipFormatError(`bad local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const data = read(fd, start, Math.min(entry.compressedSize, 4096));
  return (entry.method === 8 ? inflateRawSync(data) : data).toString('utf8');
}

/** Reads the central directory (cheap: no entry data) and the targets of symbolic links. */
export function readZipDirectory(path: string): ZipEntry[] {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const { entries, cdSize, cdOffset } = findEndOfDirectory(fd, size);
    if (cdOffset + cdSize > size) throw new ZipFormatError('central directory lies beyond the end of the file');
    const cd = read(fd, cdOffset, cdSize);
    const result: ZipEntry[] = [];
    let p = 0;
    for (let n = 0; n < entries; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`central directory entry ${n} is damaged`);
      const madeBy = cd.readUInt16LE(p + 4) >> 8;
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const sizes = { compressed: cd.readUInt32LE(p + 20), uncompressed: cd.readUInt32LE(p + 24), offset: cd.readUInt32LE(p + 42) };
      zip64Extra(cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), sizes);
      const mode = cd.readUInt32LE(p + 38) >>> 16;
      const entry: ZipEntry = {
        name: cd.subarray(p + 46, p + 46 + nameLength).toString('utf8'),
        compressedSize: sizes.compressed, uncompressedSize: sizes.uncompressed,
        method: cd.readUInt16LE(p + 10), encrypted: (cd.readUInt16LE(p + 8) & 1) === 1,
        unixMode: madeBy === 3 ? mode : undefined, localHeaderOffset: sizes.offset,
      };
      if (entry.unixMode !== undefined && (entry.unixMode & S_IFMT) === S_IFLNK) entry.linkTarget = readLinkTarget(fd, entry);
      result.push(entry);
      p += 46 + nameLength + extraLength + commentLength;
    }
    return result;
  } finally {
    closeSync(fd);
  }
}
