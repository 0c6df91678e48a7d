import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { NcupdError } from '../errors/ncupd-error.js';
import { isSafeArchiveName } from './offer.js';

export interface DownloadProgress {
  readonly url: string;
  readonly received: number;
  readonly total: number | undefined;
}

export interface DownloadOptions {
  /** Tried in order; a transport or HTTP error on one moves to the next (unlike the official updater). */
  readonly urls: readonly string[];
  readonly fileName: string;
  readonly cacheDir: string;
  readonly maxBytes: number;
  /** A stall longer than this aborts the attempt on that mirror. */
  readonly stallTimeoutMs: number;
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  readonly instance?: string;
}

export interface DownloadedArchive {
  readonly path: string;
  readonly url: string;
  readonly size: number;
  /** SHA-512 of the bytes, computed once while they streamed in (and over any resumed part). */
  readonly sha512: string;
}

/** Hashes a partial file already on disk, so resuming keeps the single pass over every byte. */
async function hashExisting(path: string, hash: Hash): Promise<number> {
  if (!existsSync(path)) return 0;
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return size;
}

class RestartFromZero extends Error {}

async function attempt(url: string, part: string, options: DownloadOptions): Promise<{ size: number; sha512: string }> {
  let hash = createHash('sha512');
  let offset = await hashExisting(part, hash);
  const stall = new AbortController();
  const signal = options.signal ? AbortSignal.any([stall.signal, options.signal]) : stall.signal;
  let timer = setTimeout(() => stall.abort(), options.stallTimeoutMs);
  const tooLarge = (detail: string) => new NcupdError('NCUPD_DOWNLOAD_TOO_LARGE', { detail, instance: options.instance, stage: 'download' });
  try {
    const response = await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal, redirect: 'follow' });
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (response.status === 416 || (response.status === 206 && Number(range?.[1]) !== offset)) {
      // The partial file no longer fits the remote one (re-published, or complete already): start over.
      await response.body?.cancel();
      throw new RestartFromZero(`HTTP ${response.status} for a resumed download`);
    }
    if (response.status === 200 && offset > 0) {
      hash = createHash('sha512');
      offset = 0;
    } else if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const length = Number(response.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(length) ? offset + length : undefined;
    if (total !== undefined && total > options.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(`${url} is ${total} bytes, above download.maxBytes (${options.maxBytes})`);
    }
    if (!response.body) throw new Error('empty response body');
    let received = offset;
    // One pass: each chunk is bounded, hashed and written (awaited) before the next is read, so every
    // hashed byte is on disk when a connection breaks, and disk errors (ENOSPC) surface here.
    const file = await open(part, offset > 0 ? 'a' : 'w', 0o600);
    try {
      for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const bytes = chunk as Buffer;
        received += bytes.length;
        if (received > options.maxBytes) throw tooLarge(`${url} sent more than download.maxBytes (${options.maxBytes})`);
        hash.update(bytes);
        await file.write(bytes);
        clearTimeout(timer);
        timer = setTimeout(() => stall.abort(), options.stallTimeoutMs);
        options.onProgress?.({ url, received, total });
      }
      await file.sync();
    } finally {
      await file.close();
    }
    if (total !== undefined && received !== total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    return { size: received, sha512: hash.digest('hex') };
  } catch (error) {
    if (stall.signal.aborted && !(error instanceof NcupdError)) throw new Error(`stalled for ${options.stallTimeoutMs / 1000} s`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS') {
      throw new NcupdError('NCUPD_DOWNLOAD_FAILED', { detail: `cannot write ${part}: ${code}`, instance: options.instance, stage: 'download', hint: 'Free space in (or fix permissions of) the cache directory, then run again.' });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Streams the archive into the cache (outside the Nextcloud root), resuming a partial file with
 * a Range request, trying each mirror in turn. The result is keyed by its SHA-512.
 */
export async function downloadArchive(options: DownloadOptions): Promise<DownloadedArchive> {
  // One download per partial file at a time: a rollout runs several transactions in this process
  // (docs/fleets.md), and two writing the same `.part` would corrupt it. The map is per process on
  // purpose, like the file it guards; the next waiter resumes or restarts from what is on disk.
  const key = join(options.cacheDir, 'partial', `${options.fileName}.part`);
  const previous = partialInUse.get(key) ?? Promise.resolve();
  const mine = previous.then(() => downloadArchiveAlone(options));
  const settled = mine.then(() => undefined, () => undefined);
  partialInUse.set(key, settled);
  void settled.then(() => {
    if (partialInUse.get(key) === settled) partialInUse.delete(key);
  });
  return mine;
}

const partialInUse = new Map<string, Promise<void>>();

async function downloadArchiveAlone(options: DownloadOptions): Promise<DownloadedArchive> {
  if (!isSafeArchiveName(options.fileName)) throw new NcupdError('NCUPD_UPDATE_SERVER_INVALID', { detail: `refusing archive name ${JSON.stringify(options.fileName)}`, stage: 'download' });
  // Created root-only; an existing folder keeps its mode (it may be shared, like a mistaken /tmp).
  mkdirSync(options.cacheDir, { recursive: true, mode: 0o700 });
  const partialDir = join(options.cacheDir, 'partial');
  mkdirSync(partialDir, { recursive: true, mode: 0o700 });
  const part = join(partialDir, `${options.fileName}.part`);
  const failures: string[] = [];
  for (const url of options.urls) {
    for (let tries = 0; tries < 2; tries++) {
      try {
        const { size, sha512 } = await attempt(url, part, options);
        const dir = join(options.cacheDir, 'archives', sha512);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const path = join(dir, options.fileName);
        renameSync(part, path);
        return { path, url, size, sha512 };
      } catch (error) {
        if (error instanceof NcupdError) {
          rmSync(part, { force: true });
          throw error;
        }
        if (error instanceof RestartFromZero) {
          rmSync(part, { force: true });
          if (tries === 0) continue;
        }
        if (options.signal?.aborted) throw new NcupdError('NCUPD_COMMAND_ABORTED', { detail: 'download cancelled', stage: 'download', instance: options.instance });
        const message = (error as Error).message;
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        failures.push(`${url}: ${cause ?? message}`);
        // A broken connection: one more try on the same mirror, resuming whatever reached the disk
        // (possibly nothing, when the cut came before the first write was flushed).
        if (!/closed|terminated|stalled|ECONNRESET|socket/i.test(`${message} ${cause ?? ''}`)) break;
      }
    }
  }
  throw new NcupdError('NCUPD_DOWNLOAD_FAILED', { detail: `every mirror failed:\n${failures.map((f) => `  - ${f}`).join('\n')}`, instance: options.instance, stage: 'download' });
}
