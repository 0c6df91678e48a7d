import type { Host } from '../../daemon/hosts/host.js';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';

/** What checkEntries declared for the archive (its ArchiveSummary). */
export interface ExpectedExtraction {
  readonly entries: number;
  readonly expandedBytes: number;
  readonly largestEntry: number;
  readonly files: number;
}

const BLOCK = 4096;

/** The file size limit for unzip: the largest declared entry rounded up to the next block, strictly above it. */
export function fileSizeLimit(largestEntry: number): number {
  return (Math.floor(largestEntry / BLOCK) + 1) * BLOCK;
}

/** A path as a command argument that cannot be read as an option. */
function operand(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

interface Listing { files: number; bytes: number; folders: number; others: string[]; largest: number; failure?: string }

async function list(host: Host, dir: string, signal: AbortSignal | undefined): Promise<Listing> {
  // NUL-separated, names only for what should not be there: entry names may hold newlines.
  const found = await host.run({
    file: 'find', args: [operand(dir), '-mindepth', '1', '(', '-type', 'f', '-printf', 'f %s\\0', ')', '-o', '(', '-type', 'd', '-printf', 'd\\0', ')', '-o', '-printf', '%y %P\\0'],
    timeoutMs: 600_000, signal, reject: false,
  });
  const listing: Listing = { files: 0, bytes: 0, folders: 0, others: [], largest: 0 };
  if (found.exitCode !== 0) listing.failure = `find exited ${found.exitCode ?? found.signal ?? '?'}: ${found.stderr.trim().slice(-300)}`;
  for (const record of found.stdout.split('\0')) {
    if (record.startsWith('f ')) {
      const bytes = Number(record.slice(2));
      listing.files++;
      listing.bytes += bytes;
      listing.largest = Math.max(listing.largest, bytes);
    } else if (record === 'd') {
      listing.folders++;
    } else if (record !== '') {
      listing.others.push(JSON.stringify(record.slice(2)));
    }
  }
  return listing;
}

/**
 * Extracts a checked zip (integrity/archive) into the empty folder `destDir` with unzip, under
 * `prlimit --fsize` just above the largest declared entry: an entry whose data inflates beyond
 * its declared size (a lying size, which unzip does not stop) cannot grow a file past that.
 * Then compares what landed with what the archive declared: regular files, their total size,
 * and nothing but files and folders. A mismatch or a file that hit the limit is
 * NCUPD_ARCHIVE_UNSAFE; unzip failing otherwise (disk full) is NCUPD_STAGING_FAILED.
 * Needs `prlimit` (util-linux), `unzip` and GNU `find` on the host.
 */
export async function extractVerifiedZip(host: Host, zipPath: string, destDir: string, expected: ExpectedExtraction, signal?: AbortSignal,
  /** Work on the extracted tree that may run while it is counted (ownership): both walk 30,000 inodes, on different cores. */
  whileCounting?: () => Promise<void>): Promise<void> {
  const limit = fileSizeLimit(expected.largestEntry);
  const unzip = await host.run({
    file: 'prlimit', args: [`--fsize=${limit}`, '--core=0', '--', 'unzip', '-q', '-o', operand(zipPath), '-d', operand(destDir)],
    reject: false, timeoutMs: 1_800_000, signal,
  });
  const unsafe = (detail: string) => new NcupdError('NCUPD_ARCHIVE_UNSAFE', { detail: `${zipPath}: ${detail}` });
  const grew = `an entry inflated past ${limit} bytes, beyond the largest size the archive declares (${expected.largestEntry}): extraction stopped`;
  // Node ignores SIGXFSZ and its children inherit that: unzip then sees EFBIG and stops ("write error").
  if (unzip.signal === 'SIGXFSZ') throw unsafe(grew);
  const [found] = await Promise.all([list(host, destDir, signal), unzip.exitCode === 0 ? whileCounting?.() : undefined]);
  if (found.largest >= limit) throw unsafe(grew);
  if (unzip.exitCode !== 0) {
    const how = unzip.timedOut ? 'timed out' : `exited ${unzip.exitCode ?? unzip.signal ?? '?'}`;
    throw new NcupdError('NCUPD_STAGING_FAILED', { detail: `unzip ${how}: ${unzip.stderr.trim().slice(-300)}` });
  }
  if (found.failure !== undefined) throw new NcupdError('NCUPD_STAGING_FAILED', { detail: `cannot list what unzip extracted: ${found.failure}` });
  if (found.others.length > 0) throw unsafe(`extraction made ${found.others.length} entries that are neither files nor folders (${found.others.slice(0, 3).join(', ')})`);
  if (found.files !== expected.files || found.bytes !== expected.expandedBytes) {
    throw unsafe(`extraction made ${found.files} files of ${found.bytes} bytes in all; the archive declares ${expected.files} files of ${expected.expandedBytes} bytes`);
  }
  if (found.folders < expected.entries - expected.files) throw unsafe(`extraction made ${found.folders} folders; the archive lists ${expected.entries - expected.files}`);
}
