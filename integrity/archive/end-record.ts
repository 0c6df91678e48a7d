import { readAt, readU64, ZipFormatError, ZipStructureError } from './zip-io.js';

const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END = 0x06064b50;
const END_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

export interface EndRecord {
  readonly entries: number;
  readonly cdOffset: number;
  readonly cdSize: number;
  /** Where the central directory must end: the end record, or the zip64 end record when there is one. */
  readonly cdEnd: number;
}

/** The end record's position: the one record whose comment reaches exactly the end of the file, and the last signature in it. */
function locateEnd(fd: number, size: number): number {
  if (size < 22) throw new ZipFormatError('too short to be a zip archive');
  const tailLength = Math.min(size, 22 + 0xffff);
  const base = size - tailLength;
  const tail = readAt(fd, base, tailLength);
  const fitting: number[] = [];
  let last = -1;
  for (let i = tail.lastIndexOf(END_SIGNATURE); i >= 0; i = i === 0 ? -1 : tail.lastIndexOf(END_SIGNATURE, i - 1)) {
    if (last < 0) last = i;
    if (i + 22 <= tailLength && i + 22 + tail.readUInt16LE(i + 20) === tailLength) fitting.push(i);
  }
  if (fitting.length === 0) throw new ZipFormatError('no end-of-central-directory record: not a zip archive');
  // unzip takes the last signature it finds; a second record that fits could show another directory.
  if (fitting.length > 1) throw new ZipStructureError(`${fitting.length} end-of-central-directory records fit: one hides in the archive comment`);
  if (fitting[0] !== last) throw new ZipStructureError('the archive comment holds another end-of-central-directory record');
  return base + fitting[0]!;
}

/** The zip64 end record named by the locator just before the end record, checked to end exactly at the locator. */
function readZip64End(fd: number, locatorAt: number): { entries: number; cdSize: number; cdOffset: number; at: number } {
  const locator = readAt(fd, locatorAt, 20);
  if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) !== 1) throw new ZipFormatError('multi-disk zip64 archives are not supported');
  const at = readU64(locator, 8);
  if (at + 56 > locatorAt) throw new ZipFormatError('zip64 end record lies beyond its locator');
  const record = readAt(fd, at, 56);
  if (record.readUInt32LE(0) !== ZIP64_END) throw new ZipFormatError('zip64 end record missing');
  if (at + 12 + readU64(record, 4) !== locatorAt) throw new ZipStructureError('bytes between the zip64 end record and its locator');
  if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) throw new ZipFormatError('multi-disk zip64 archives are not supported');
  const entries = readU64(record, 32);
  if (readU64(record, 24) !== entries) throw new ZipFormatError('multi-disk zip64 archives are not supported');
  return { entries, cdSize: readU64(record, 40), cdOffset: readU64(record, 48), at };
}

/**
 * Finds the one end record (and the zip64 end record when there is one). A field of the classic
 * record that is not the zip64 placeholder must equal the zip64 value: unzip takes the classic
 * value then, and both readers must see the same directory.
 */
export function readEndRecord(fd: number, size: number): EndRecord {
  const at = locateEnd(fd, size);
  const end = readAt(fd, at, 22);
  const classic = { disk: end.readUInt16LE(4), cdDisk: end.readUInt16LE(6), onDisk: end.readUInt16LE(8), entries: end.readUInt16LE(10), cdSize: end.readUInt32LE(12), cdOffset: end.readUInt32LE(16) };
  const hasZip64 = at >= 20 && readAt(fd, at - 20, 4).readUInt32LE(0) === ZIP64_LOCATOR;
  if (!hasZip64) {
    if (classic.disk !== 0 || classic.cdDisk !== 0 || classic.onDisk !== classic.entries) throw new ZipFormatError('multi-disk archives are not supported');
    return { entries: classic.entries, cdSize: classic.cdSize, cdOffset: classic.cdOffset, cdEnd: at };
  }
  const z64 = readZip64End(fd, at - 20);
  const agrees = (value: number, placeholder: number, actual: number) => value === placeholder || value === actual;
  if (!agrees(classic.disk, 0xffff, 0) || !agrees(classic.cdDisk, 0xffff, 0) || !agrees(classic.onDisk, 0xffff, z64.entries)
    || !agrees(classic.entries, 0xffff, z64.entries) || !agrees(classic.cdSize, 0xffffffff, z64.cdSize) || !agrees(classic.cdOffset, 0xffffffff, z64.cdOffset)) {
    throw new ZipStructureError('the end record and the zip64 end record describe different central directories');
  }
  return { entries: z64.entries, cdSize: z64.cdSize, cdOffset: z64.cdOffset, cdEnd: z64.at };
}
