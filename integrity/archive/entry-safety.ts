import { posix } from 'node:path';
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
  readonly expandedBytes: number;
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * Judges every entry before anything is written (issue 3): refuses absolute paths, `..`,
 * links that point outside, device files, duplicate names, anything outside the top folder,
 * and expanded sizes no release has. Returns the first problem found, or a summary.
 */
export function checkEntries(entries: readonly ZipEntry[], limits: SafetyLimits = DEFAULT_LIMITS): { problem: string } | ArchiveSummary {
  if (entries.length === 0) return { problem: 'the archive is empty' };
  if (entries.length > limits.maxEntries) return { problem: `${entries.length} entries, more than ${limits.maxEntries}` };
  const seen = new Set<string>();
  let expanded = 0;
  const ends: { start: number; end: number; name: string }[] = [];
  for (const entry of entries) {
    const name = entry.name;
    if (name.includes('\0') || name.includes('\\')) return { problem: `entry "${JSON.stringify(name)}" has a NUL byte or a backslash` };
    if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return { problem: `entry "${name}" has an absolute path` };
    const segments = name.split('/').filter((s) => s !== '');
    if (segments.includes('..')) return { problem: `entry "${name}" climbs out with ".."` };
    if (segments.includes('.')) return { problem: `entry "${name}" has a "." segment` };
    if (segments[0] !== limits.topFolder) return { problem: `entry "${name}" is outside the top folder "${limits.topFolder}/"` };
    const key = segments.join('/');
    if (seen.has(key)) return { problem: `entry "${name}" appears twice` };
    seen.add(key);
    if (entry.encrypted) return { problem: `entry "${name}" is encrypted` };
    const type = entry.unixMode === undefined ? undefined : entry.unixMode & S_IFMT;
    if (type !== undefined && type !== 0 && type !== S_IFREG && type !== S_IFDIR && type !== S_IFLNK) {
      return { problem: `entry "${name}" is a device, FIFO or socket (mode ${type.toString(8)})` };
    }
    if (type === S_IFLNK) {
      const target = entry.linkTarget ?? '';
      const resolved = posix.normalize(posix.join(posix.dirname(key), target));
      if (target.startsWith('/') || !(resolved === limits.topFolder || resolved.startsWith(`${limits.topFolder}/`))) {
        return { problem: `entry "${name}" is a link to "${target}", outside the archive` };
      }
    }
    expanded += entry.uncompressedSize;
    if (expanded > limits.maxExpandedBytes) return { problem: `the archive expands to more than ${limits.maxExpandedBytes} bytes` };
    if (entry.uncompressedSize > 1024 ** 2 && entry.uncompressedSize > entry.compressedSize * limits.maxRatio) {
      return { problem: `entry "${name}" expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times (zip bomb)` };
    }
    ends.push({ start: entry.localHeaderOffset, end: entry.localHeaderOffset + 30 + Buffer.byteLength(name) + entry.compressedSize, name });
  }
  // Entries whose data overlap are the trick of non-recursive zip bombs; real archives never do it.
  ends.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ends.length; i++) {
    const previous = ends[i - 1]!;
    const current = ends[i]!;
    if (current.start < previous.end) return { problem: `entries "${previous.name}" and "${current.name}" overlap (zip bomb)` };
  }
  return { entries: entries.length, expandedBytes: expanded };
}
