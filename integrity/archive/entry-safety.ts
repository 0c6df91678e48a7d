import { S_IFLNK, S_IFMT, type ZipEntry } from './zip-directory.js';

export interface SafetyLimits {
  readonly maxExpandedBytes: number;
  readonly maxEntries: number;
  /** Largest expansion of one entry (uncompressed / compressed) above 1 MiB: deflate tops out near 1032. */
  readonly maxRatio: number;
  readonly topFolder: string;
}

export const DEFAULT_LIMITS: SafetyLimits = { maxExpandedBytes: 8 * 1024 ** 3, maxEntries: 500_000, maxRatio: 200, topFolder: 'nextcloud' };

export interface ArchiveSummary {
  readonly entries: number;
  /** Sum of the declared uncompressed sizes. */
  readonly expandedBytes: number;
  /** The largest declared uncompressed size: the file size limit while extracting (bounded-extract.ts). */
  readonly largestEntry: number;
  /** Regular files (entries whose name does not end in "/"). */
  readonly files: number;
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** Stored and deflate: what Info-ZIP `zip` writes. unzip would also honour bzip2, LZMA and others. */
const METHODS = new Set([0, 8]);

/** The problem with one entry's name, type or method, if any (sizes are judged by the caller). */
function entryProblem(entry: ZipEntry, segments: readonly string[], limits: SafetyLimits): string | undefined {
  const name = entry.name;
  if (name.includes('\0') || name.includes('\\')) return `entry ${JSON.stringify(name)} has a NUL byte or a backslash`;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return `entry "${name}" has an absolute path`;
  if (segments.includes('..')) return `entry "${name}" climbs out with ".."`;
  if (segments.includes('.')) return `entry "${name}" has a "." segment`;
  if (segments[0] !== limits.topFolder) return `entry "${name}" is outside the top folder "${limits.topFolder}/"`;
  // unzip extracts to the Unicode path field's name when the UTF-8 flag is clear and its CRC matches.
  if (entry.unicodePath !== undefined && entry.unicodePath !== '' && entry.unicodePath !== name) {
    return `entry "${name}" carries another name in a Unicode path field (${JSON.stringify(entry.unicodePath)})`;
  }
  if (entry.encrypted) return `entry "${name}" is encrypted`;
  if (!METHODS.has(entry.method)) return `entry "${name}" uses compression method ${entry.method} (only stored and deflate are accepted)`;
  const type = entry.unixMode === undefined ? undefined : entry.unixMode & S_IFMT;
  // Releases hold no links: refusing them all leaves no link target to read or chain to resolve.
  if (type === S_IFLNK) return `entry "${name}" is a symbolic link (releases have none)`;
  if (type !== undefined && type !== 0 && type !== S_IFREG && type !== S_IFDIR) return `entry "${name}" is a device, FIFO or socket (mode ${type.toString(8)})`;
  const folder = name.endsWith('/');
  if (type === S_IFDIR && !folder) return `entry "${name}" has a folder's mode but a file's name`;
  if (folder && entry.uncompressedSize !== 0) return `folder entry "${name}" holds ${entry.uncompressedSize} bytes`;
  return undefined;
}

/**
 * Judges every entry before anything is written (issue 3): refuses absolute paths, `..`, links,
 * device files, duplicate names, anything outside the top folder, encryption, compression
 * methods other than stored and deflate, and expanded sizes no release has. The archive's
 * structure (hidden entries, overlaps) was checked while reading it (readZipDirectory).
 * Returns the first problem found, or a summary.
 */
export function checkEntries(entries: readonly ZipEntry[], limits: SafetyLimits = DEFAULT_LIMITS): { problem: string } | ArchiveSummary {
  if (entries.length === 0) return { problem: 'the archive is empty' };
  if (entries.length > limits.maxEntries) return { problem: `${entries.length} entries, more than ${limits.maxEntries}` };
  const seen = new Set<string>();
  let expanded = 0;
  let largest = 0;
  let files = 0;
  for (const entry of entries) {
    const segments = entry.name.split('/');
    if (segments.includes('')) segments.splice(0, segments.length, ...segments.filter((s) => s !== ''));
    const key = segments.join('/');
    const problem = entryProblem(entry, segments, limits);
    if (problem !== undefined) return { problem };
    if (seen.has(key)) return { problem: `entry "${entry.name}" appears twice` };
    seen.add(key);
    if (!entry.name.endsWith('/')) files++;
    expanded += entry.uncompressedSize;
    largest = Math.max(largest, entry.uncompressedSize);
    if (expanded > limits.maxExpandedBytes) return { problem: `the archive expands to more than ${limits.maxExpandedBytes} bytes` };
    if (entry.uncompressedSize > 1024 ** 2 && entry.uncompressedSize > entry.compressedSize * limits.maxRatio) {
      return { problem: `entry "${entry.name}" expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times (zip bomb)` };
    }
  }
  return { entries: entries.length, expandedBytes: expanded, largestEntry: largest, files };
}
