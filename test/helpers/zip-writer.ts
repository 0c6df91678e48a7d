import { crc32, deflateRawSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

/** An entry of a hand-made zip: lets tests build archives no honest tool would (issue 3, hostile archives). */
export interface RawZipEntry {
  readonly name: string;
  readonly data?: Buffer | string;
  /** Unix mode including the type bits (0o100644 file, 0o120777 link, 0o020644 char device...). */
  readonly mode?: number;
  readonly deflate?: boolean;
  /** "Made by" host (3 Unix, 0 FAT, 5 Atari, 16 BeOS...); default 3. */
  readonly host?: number;
  /** Compression method id written in both headers (the data stays as `deflate` made it). */
  readonly method?: number;
  /** The name bytes as stored, instead of the UTF-8 of `name`. */
  readonly rawName?: Buffer;
  /** General purpose flags; default 0x0800 (UTF-8 name). Bit 3 comes from `descriptor`. */
  readonly flags?: number;
  /** Uncompressed size declared in the headers instead of the real one (a lying size). */
  readonly declaredSize?: number;
  /** Extra field bytes, in both headers. */
  readonly extra?: Buffer;
  /** Sizes as 0xffffffff in both headers, the real ones in a zip64 extra field. */
  readonly zip64?: boolean;
  /** Flag bit 3: no CRC or sizes in the local header, a data descriptor after the data (with or without its signature). */
  readonly descriptor?: 'signed' | 'unsigned';
  /** Sizes the data descriptor states instead of the real ones. */
  readonly descriptorSizes?: { readonly compressed: number; readonly uncompressed: number };
  /** What the local header says instead of what the central directory says. */
  readonly local?: { readonly name?: Buffer | string; readonly method?: number; readonly flags?: number; readonly compressedSize?: number; readonly uncompressedSize?: number };
  /** Written to the file but left out of the central directory (a hidden entry). */
  readonly hidden?: boolean;
  /** No local record of its own: the central entry points at the local record of the entry with this index. */
  readonly sharesLocalOf?: number;
}

export interface RawZipOptions {
  /** Archive comment (after the end record). */
  readonly comment?: Buffer;
  /** Entry count the end record declares instead of the real one. */
  readonly declaredEntries?: number;
  /** Bytes between the central directory and the end record (or zip64 end record). */
  readonly afterCentral?: Buffer;
  /** Bytes before the first local header (a self-extractor's stub); offsets count them. */
  readonly prefix?: Buffer;
  /** Offsets as if there were no prefix (`cat stub a.zip`): unzip then shifts every offset itself. */
  readonly prefixUncounted?: boolean;
  /** A zip64 end record and locator, with the placeholders 0xffff / 0xffffffff in the classic end record. */
  readonly zip64End?: boolean;
  /**
   * A second end record in the comment listing only the first `entries` central entries, whose copy
   * follows the real central directory. `fits: false` gives it a comment length that does not reach
   * the end of the file (and no copy).
   */
  readonly fakeEnd?: { readonly entries: number; readonly fits?: boolean };
}

/** A classic end-of-central-directory record. */
export function endRecord(fields: { entries: number; cdSize: number; cdOffset: number; commentLength?: number }): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(fields.entries, 8);
  end.writeUInt16LE(fields.entries, 10);
  end.writeUInt32LE(fields.cdSize, 12);
  end.writeUInt32LE(fields.cdOffset, 16);
  end.writeUInt16LE(fields.commentLength ?? 0, 20);
  return end;
}

function zip64Field(uncompressed: number, compressed: number): Buffer {
  const field = Buffer.alloc(20);
  field.writeUInt16LE(0x0001, 0);
  field.writeUInt16LE(16, 2);
  field.writeBigUInt64LE(BigInt(uncompressed), 4);
  field.writeBigUInt64LE(BigInt(compressed), 12);
  return field;
}

function descriptorBytes(entry: RawZipEntry, crc: number, compressed: number, uncompressed: number): Buffer {
  const wide = entry.zip64 === true;
  const sizes = entry.descriptorSizes ?? { compressed, uncompressed };
  const body = Buffer.alloc(wide ? 20 : 12);
  body.writeUInt32LE(crc, 0);
  if (wide) {
    body.writeBigUInt64LE(BigInt(sizes.compressed), 4);
    body.writeBigUInt64LE(BigInt(sizes.uncompressed), 12);
  } else {
    body.writeUInt32LE(sizes.compressed, 4);
    body.writeUInt32LE(sizes.uncompressed, 8);
  }
  if (entry.descriptor !== 'signed') return body;
  const signature = Buffer.alloc(4);
  signature.writeUInt32LE(0x08074b50, 0);
  return Buffer.concat([signature, body]);
}

interface Built { local: Buffer; central: (offset: number) => Buffer }

function buildEntry(entry: RawZipEntry): Built {
  const raw = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data ?? '');
  const body = entry.deflate ? deflateRawSync(raw) : raw;
  const name = entry.rawName ?? Buffer.from(entry.name);
  const crc = crc32(raw);
  const uncompressed = entry.declaredSize ?? raw.length;
  const method = entry.method ?? (entry.deflate ? 8 : 0);
  const flags = (entry.flags ?? 0x0800) | (entry.descriptor ? 0x08 : 0);
  const extra = Buffer.concat([entry.extra ?? Buffer.alloc(0), entry.zip64 ? zip64Field(uncompressed, body.length) : Buffer.alloc(0)]);
  const size32 = (value: number) => (entry.zip64 ? 0xffffffff : value);
  const localName = entry.local?.name === undefined ? name : Buffer.from(entry.local.name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(entry.zip64 ? 45 : 20, 4);
  local.writeUInt16LE(entry.local?.flags ?? flags, 6);
  local.writeUInt16LE(entry.local?.method ?? method, 8);
  if (!entry.descriptor) {
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.local?.compressedSize ?? size32(body.length), 18);
    local.writeUInt32LE(entry.local?.uncompressedSize ?? size32(uncompressed), 22);
  }
  local.writeUInt16LE(localName.length, 26);
  local.writeUInt16LE(extra.length, 28);
  const trailer = entry.descriptor ? descriptorBytes(entry, crc, body.length, uncompressed) : Buffer.alloc(0);
  const central = (offset: number) => {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(((entry.host ?? 3) << 8) | 20, 4);
    header.writeUInt16LE(entry.zip64 ? 45 : 20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(size32(body.length), 20);
    header.writeUInt32LE(size32(uncompressed), 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt16LE(extra.length, 30);
    header.writeUInt32LE(((entry.mode ?? (entry.name.endsWith('/') ? 0o040755 : 0o100644)) << 16) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    return Buffer.concat([header, name, extra]);
  };
  return { local: Buffer.concat([local, localName, extra, body, trailer]), central };
}

function zip64EndAndLocator(entries: number, cdSize: number, cdOffset: number, at: number): Buffer {
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE((3 << 8) | 45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(entries), 24);
  record.writeBigUInt64LE(BigInt(entries), 32);
  record.writeBigUInt64LE(BigInt(cdSize), 40);
  record.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(at), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator]);
}

/** Writes a zip (Unix "made by" unless told), with whatever lies the entries and options ask for. */
export function writeRawZip(path: string, entries: readonly RawZipEntry[], options: RawZipOptions = {}): void {
  const prefix = options.prefix ?? Buffer.alloc(0);
  const parts: Buffer[] = [prefix];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = options.prefixUncounted ? 0 : prefix.length;
  for (const entry of entries) {
    const built = buildEntry(entry);
    const shared = entry.sharesLocalOf === undefined ? undefined : offsets[entry.sharesLocalOf];
    offsets.push(shared ?? offset);
    if (!entry.hidden) centrals.push(built.central(shared ?? offset));
    if (shared !== undefined) continue;
    parts.push(built.local);
    offset += built.local.length;
  }
  const cd = Buffer.concat(centrals);
  const count = options.declaredEntries ?? centrals.length;
  parts.push(cd);
  let end = offset + cd.length;
  const fake = options.fakeEnd;
  let fakeRecord: Buffer = Buffer.alloc(0);
  if (fake) {
    const copy = Buffer.concat(centrals.slice(0, fake.entries));
    if (fake.fits !== false) {
      parts.push(copy);
      fakeRecord = endRecord({ entries: fake.entries, cdSize: copy.length, cdOffset: end });
      end += copy.length;
    } else {
      fakeRecord = endRecord({ entries: fake.entries, cdSize: copy.length, cdOffset: offset, commentLength: 1 });
    }
  }
  if (options.afterCentral) {
    parts.push(options.afterCentral);
    end += options.afterCentral.length;
  }
  const comment = Buffer.concat([options.comment ?? Buffer.alloc(0), fakeRecord]);
  if (options.zip64End) {
    parts.push(zip64EndAndLocator(count, cd.length, offset, end));
    parts.push(endRecord({ entries: 0xffff, cdSize: 0xffffffff, cdOffset: 0xffffffff, commentLength: comment.length }));
  } else {
    parts.push(endRecord({ entries: count, cdSize: cd.length, cdOffset: offset, commentLength: comment.length }));
  }
  parts.push(comment);
  writeFileSync(path, Buffer.concat(parts));
}
