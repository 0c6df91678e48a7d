import { closeSync, fstatSync, openSync } from 'node:fs';
import { readEndRecord } from './end-record.js';
import { checkLocalRecords } from './local-headers.js';
import { applyZip64, readAt, scanExtras, ZipFormatError, ZipStructureError } from './zip-io.js';

export { ZipFormatError, ZipStructureError } from './zip-io.js';

/** One entry of a zip's central directory: all ncupd needs to judge it before anything is written. */
export interface ZipEntry {
  readonly name: string;
  /** The name exactly as stored; local headers must repeat these bytes. */
  readonly rawName: Buffer;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly method: number;
  /** General purpose flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8 name). */
  readonly flags: number;
  readonly crc32: number;
  readonly encrypted: boolean;
  /**
   * The upper 16 bits of the external attributes whenever they are non-zero, whatever the "made by"
   * host says: unzip reads Unix modes from Atari, BeOS and other hosts too. Undefined when zero.
   */
  readonly unixMode: number | undefined;
  readonly localHeaderOffset: number;
  /** The name in an Info-ZIP Unicode path extra field (0x7075): unzip may extract to it instead of `name`. */
  readonly unicodePath: string | undefined;
}

const CENTRAL = 0x02014b50;
export const S_IFMT = 0o170000;
export const S_IFLNK = 0o120000;

/** One central directory record at `p`, added to `into`; returns the position of the next record. */
function parseCentral(cd: Buffer, p: number, n: number, into: ZipEntry[]): number {
  if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`central directory entry ${n} is damaged`);
  const nameEnd = p + 46 + cd.readUInt16LE(p + 28);
  const extraEnd = nameEnd + cd.readUInt16LE(p + 30);
  const next = extraEnd + cd.readUInt16LE(p + 32);
  if (next > cd.length) throw new ZipFormatError(`central directory entry ${n} runs past the directory`);
  const rawName = cd.subarray(p + 46, nameEnd);
  const extras = extraEnd > nameEnd ? scanExtras(cd, nameEnd, extraEnd, `central directory entry ${n}`) : undefined;
  let sizes = { uncompressed: cd.readUInt32LE(p + 24), compressed: cd.readUInt32LE(p + 20), offset: cd.readUInt32LE(p + 42) };
  if (sizes.uncompressed === 0xffffffff || sizes.compressed === 0xffffffff || sizes.offset === 0xffffffff) {
    sizes = { ...sizes };
    applyZip64(extras?.zip64, sizes, ['uncompressed', 'compressed', 'offset'], `central directory entry ${n}`);
  }
  const flags = cd.readUInt16LE(p + 8);
  const mode = cd.readUInt32LE(p + 38) >>> 16;
  const unicode = extras?.unicodePath;
  into.push({
    name: rawName.toString('utf8'), rawName,
    compressedSize: sizes.compressed, uncompressedSize: sizes.uncompressed,
    method: cd.readUInt16LE(p + 10), flags, crc32: cd.readUInt32LE(p + 16),
    // Bit 0: traditional or AES encryption; bit 6: strong encryption; bit 13: masked headers.
    encrypted: (flags & 0x2041) !== 0,
    unixMode: mode !== 0 ? mode : undefined, localHeaderOffset: sizes.offset,
    // Version (1 byte) and the CRC of the stored name (4) come first.
    unicodePath: unicode === undefined ? undefined : unicode.subarray(Math.min(5, unicode.length)).toString('utf8'),
  });
  return next;
}

function readDirectory(fd: number): ZipEntry[] {
  const size = fstatSync(fd).size;
  const { entries, cdSize, cdOffset, cdEnd } = readEndRecord(fd, size);
  // unzip shifts every offset when the directory is not where the end record says ("extra bytes
  // at beginning"), and reads records until the signatures stop: both would show what is not judged.
  if (cdOffset + cdSize !== cdEnd) throw new ZipStructureError(`the central directory (${cdOffset}+${cdSize}) does not end where the end record begins (${cdEnd})`);
  if (entries > cdSize / 46) throw new ZipFormatError(`${entries} entries cannot fit in a central directory of ${cdSize} bytes`);
  const cd = readAt(fd, cdOffset, cdSize);
  const result: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < entries; n++) p = parseCentral(cd, p, n, result);
  if (p !== cd.length) throw new ZipStructureError(`the central directory holds ${cd.length - p} bytes beyond the ${entries} entries the end record declares`);
  checkLocalRecords(fd, result, cdOffset);
  return result;
}

/**
 * Reads the central directory and every local header (no entry data), and checks that the file
 * holds nothing else: one end record, a directory used up exactly, local records that repeat
 * the directory and tile the file up to it. Throws ZipFormatError (or its ZipStructureError).
 */
export function readZipDirectory(path: string): ZipEntry[] {
  const fd = openSync(path, 'r');
  try {
    return readDirectory(fd);
  } catch (error) {
    // A field that points past a buffer is a damaged archive, not a crash (RangeError, TypeError).
    if (error instanceof RangeError || error instanceof TypeError) throw new ZipFormatError(`damaged archive: ${error.message}`, { cause: error });
    throw error;
  } finally {
    closeSync(fd);
  }
}
