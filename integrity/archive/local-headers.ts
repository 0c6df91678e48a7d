import type { ZipEntry } from './zip-directory.js';
import { applyZip64, readAt, readU64, scanExtras, ZipFormatError, ZipStructureError } from './zip-io.js';

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
/** Bytes read per local header beyond its fixed part and name: Info-ZIP's extra fields fit. */
const EXTRA_GUESS = 128;
/** Neighbouring headers within this many bytes are read at once (archives of many small files). */
const WINDOW = 64 * 1024;

/** Reads forward through the file: one positional read serves every header inside the window. */
class Window {
  buffer: Buffer = Buffer.alloc(0);
  private from = 0;
  constructor(private readonly fd: number) {}

  holds(position: number, length: number): boolean {
    return position >= this.from && position + length <= this.from + this.buffer.length;
  }

  /** Index in `buffer` of `position`, with `length` bytes there; reads `span` (at least `length`) bytes when it must. */
  load(position: number, length: number, span = length): number {
    if (!this.holds(position, length)) {
      this.buffer = readAt(this.fd, position, Math.max(length, span));
      this.from = position;
    }
    return position - this.from;
  }
}

/** Compares the data descriptor that fills [at, at + length) with the central entry. */
function checkDescriptor(window: Window, entry: ZipEntry, at: number, length: number): void {
  // The tiling decides the layout: 12/20 bytes without the signature, 16/24 with; 20/24 have 64-bit sizes.
  const notDescriptor = () => new ZipStructureError(`entry "${entry.name}" is followed by ${length} bytes that are no data descriptor`);
  if (length !== 12 && length !== 16 && length !== 20 && length !== 24) throw notDescriptor();
  const i = window.load(at, length);
  const bytes = window.buffer;
  const signed = length === 16 || length === 24;
  if (signed && bytes.readUInt32LE(i) !== DESCRIPTOR) throw notDescriptor();
  const p = i + (signed ? 4 : 0);
  const wide = length >= 20;
  const compressed = wide ? readU64(bytes, p + 4) : bytes.readUInt32LE(p + 4);
  const uncompressed = wide ? readU64(bytes, p + 12) : bytes.readUInt32LE(p + 8);
  if (bytes.readUInt32LE(p) !== entry.crc32 || compressed !== entry.compressedSize || uncompressed !== entry.uncompressedSize) {
    throw new ZipStructureError(`the data descriptor of "${entry.name}" disagrees with the central directory`);
  }
}

/** Checks the local record of `entry`, which must fill [start, next) exactly; `span` is how far to read ahead. */
function checkRecord(window: Window, entry: ZipEntry, next: number, nextName: string, span: number): void {
  const start = entry.localHeaderOffset;
  const overlap = () => new ZipStructureError(`entries "${entry.name}" and "${nextName}" overlap (zip bomb or hidden data)`);
  if (next - start < 30) throw overlap();
  let h = window.load(start, Math.min(next - start, 30 + entry.rawName.length + EXTRA_GUESS), span);
  if (window.buffer.readUInt32LE(h) !== LOCAL) throw new ZipFormatError(`no local header for "${entry.name}" at ${start}`);
  const nameLength = window.buffer.readUInt16LE(h + 26);
  const headerLength = 30 + nameLength + window.buffer.readUInt16LE(h + 28);
  if (start + headerLength > next) throw overlap();
  h = window.load(start, headerLength);
  const header = window.buffer;
  const differs = (what: string) => new ZipStructureError(`the local header of "${entry.name}" has another ${what} than the central directory`);
  if (entry.rawName.compare(header, h + 30, h + 30 + nameLength) !== 0) throw differs(`name (${JSON.stringify(header.toString('utf8', h + 30, h + 30 + nameLength))})`);
  if (header.readUInt16LE(h + 8) !== entry.method) throw differs('compression method');
  const flags = header.readUInt16LE(h + 6);
  if (flags !== entry.flags) throw differs('flags');
  const dataEnd = start + headerLength + entry.compressedSize;
  if (dataEnd > next) throw overlap();
  if ((flags & 0x08) !== 0) {
    checkDescriptor(window, entry, dataEnd, next - dataEnd);
    return;
  }
  const sizes = { uncompressed: header.readUInt32LE(h + 22), compressed: header.readUInt32LE(h + 18) };
  const crc = header.readUInt32LE(h + 14);
  if (sizes.uncompressed === 0xffffffff || sizes.compressed === 0xffffffff) {
    const where = `local header of "${entry.name}"`;
    applyZip64(scanExtras(header, h + 30 + nameLength, h + headerLength, where)?.zip64, sizes, ['uncompressed', 'compressed'], where);
  }
  if (sizes.compressed !== entry.compressedSize || sizes.uncompressed !== entry.uncompressedSize) throw differs('size');
  if (crc !== entry.crc32) throw differs('CRC');
  if (dataEnd !== next) throw new ZipStructureError(`${next - dataEnd} bytes after "${entry.name}" belong to no entry (hidden data)`);
}

/**
 * Reads every local header, in file order, and checks that it repeats its central entry (name
 * bytes, method, flags, sizes or data descriptor) and that the local records tile [0, cdOffset)
 * with no gap (a hidden entry) and no overlap (a non-recursive zip bomb). Headers close together
 * share one positional read; no entry data is inflated.
 */
export function checkLocalRecords(fd: number, entries: readonly ZipEntry[], cdOffset: number): void {
  const order = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const firstOffset = order[0]?.localHeaderOffset ?? cdOffset;
  if (firstOffset !== 0) throw new ZipStructureError(`${firstOffset} bytes before the first entry belong to no entry (hidden data)`);
  const window = new Window(fd);
  const guess = (entry: ZipEntry) => entry.localHeaderOffset + 30 + entry.rawName.length + EXTRA_GUESS;
  for (let i = 0; i < order.length; i++) {
    const entry = order[i]!;
    const following = order[i + 1];
    const start = entry.localHeaderOffset;
    let span = 0;
    if (!window.holds(start, Math.min(guess(entry), cdOffset) - start)) {
      // Read ahead over the headers that follow within the window.
      for (let j = i + 1; j < order.length && guess(order[j]!) - start <= WINDOW; j++) span = guess(order[j]!) - start;
      span = Math.min(span, cdOffset - start);
    }
    checkRecord(window, entry, following?.localHeaderOffset ?? cdOffset, following?.name ?? '(central directory)', span);
  }
}
