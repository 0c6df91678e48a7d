import { readSync } from 'node:fs';

/** The archive cannot be parsed (truncated, damaged, not a zip); the caller reports it as corrupt. */
export class ZipFormatError extends Error {}

/**
 * The archive parses, but its records disagree with each other or leave bytes unaccounted for:
 * the shapes that let an extractor see entries the check did not (hidden entries, a second end
 * record, local headers that differ from the central directory, overlapping data).
 */
export class ZipStructureError extends ZipFormatError {}

/** Exactly `length` bytes at `position` (a positional read), or a ZipFormatError. */
export function readAt(fd: number, position: number, length: number): Buffer {
  if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
    throw new ZipFormatError(`impossible read of ${length} bytes at ${position}`);
  }
  const buffer = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, position + got);
    if (n === 0) throw new ZipFormatError(`unexpected end of file at ${position + got}`);
    got += n;
  }
  return buffer;
}

/** A 64-bit little-endian field as a number; values beyond 2^53 are no archive ncupd reads. */
export function readU64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`64-bit field ${value} is out of range`);
  return Number(value);
}

export const ZIP64_EXTRA = 0x0001;
export const UNICODE_PATH_EXTRA = 0x7075;

export interface Extras { zip64?: Buffer; unicodePath?: Buffer }

/**
 * The zip64 and Unicode path fields among the extra fields in buffer[start, end); undefined
 * when neither is there (the common case, without allocating). A second field with one of these
 * ids is refused: readers could pick different ones.
 */
export function scanExtras(buffer: Buffer, start: number, end: number, where: string): Extras | undefined {
  let found: Extras | undefined;
  let i = start;
  while (i + 4 <= end) {
    const id = buffer.readUInt16LE(i);
    const length = buffer.readUInt16LE(i + 2);
    if (i + 4 + length > end) break; // trailing padding (zipalign and others); nothing is read from it
    if (id === ZIP64_EXTRA || id === UNICODE_PATH_EXTRA) {
      const key = id === ZIP64_EXTRA ? 'zip64' : 'unicodePath';
      found ??= {};
      if (found[key] !== undefined) throw new ZipStructureError(`${where} has two extra fields with id 0x${id.toString(16)}`);
      found[key] = buffer.subarray(i + 4, i + 4 + length);
    }
    i += 4 + length;
  }
  return found;
}

/** Replaces the 0xffffffff placeholders in `sizes` from a zip64 extra field, in the field's order. */
export function applyZip64<K extends string>(field: Buffer | undefined, sizes: Record<K, number>, order: readonly K[], where: string): void {
  let p = 0;
  for (const key of order) {
    if (sizes[key] !== 0xffffffff) continue;
    if (field === undefined || p + 8 > field.length) throw new ZipFormatError(`${where}: ${key} size is in a zip64 field that is missing`);
    sizes[key] = readU64(field, p);
    p += 8;
  }
}
