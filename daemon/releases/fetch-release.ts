import { sha512OfFile } from '../../integrity/verifiers/digest-file.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import { readZipDirectory } from '../../integrity/archive/zip-directory.js';
import { ZipFormatError, ZipStructureError } from '../../integrity/archive/zip-io.js';
import { checkEntries, DEFAULT_LIMITS } from '../../integrity/archive/entry-safety.js';
import { loadTrustRoot } from '../../integrity/trust/trust-certificate.js';
import { verifiers } from '../../integrity/verifiers/registry.js';
import type { VerificationResult } from '../../integrity/verifiers/verifier.js';
import { parsePhpBounds, phpWithin } from '../discovery/version-check.js';
import { downloadArchive, type DownloadProgress } from './download.js';
import { fetchText } from './fetch-text.js';
import { archiveFileName, type ReleaseOffer } from './offer.js';

export interface VerifiedArchive {
  readonly path: string;
  readonly fileName: string;
  readonly sha512: string;
  readonly size: number;
  readonly sourceUrl: string;
  readonly fromCache: boolean;
  readonly checks: readonly VerificationResult[];
  readonly entries: number;
  readonly expandedBytes: number;
  /** Largest declared entry and regular-file count: extraction is bounded by them (integrity/archive/bounded-extract). */
  readonly largestEntry: number;
  readonly files: number;
}

export interface FetchOptions {
  readonly host: Host;
  readonly instance: InstanceConfig;
  readonly cacheDir: string;
  readonly onProgress?: (progress: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  /** The instance's PHP version: the archive's own lib/versioncheck.php must accept it. */
  readonly php?: string;
}

/** PHP bounds of the target come from its own lib/versioncheck.php (contract 7), read from the verified zip. */
async function checkTargetPhp(host: Host, path: string, fileName: string, php: string, instance: string): Promise<void> {
  const source = await host.run({ file: 'unzip', args: ['-p', path, 'nextcloud/lib/versioncheck.php'], reject: false, timeoutMs: 60_000 });
  const bounds = parsePhpBounds(source.exitCode === 0 ? source.stdout : undefined);
  if (!phpWithin(bounds, php)) {
    throw new NcupdError('NCUPD_PHP_UNSUPPORTED', {
      detail: `${fileName} accepts PHP ${bounds.min ?? '?'} up to below ${bounds.maxExclusive ?? '?'}, the instance has ${php}`, instance, stage: 'verify',
    });
  }
}

/** Where the archive is published: the server's zip URLs, its legacy <url>, then configured mirrors. */
export function archiveUrls(offer: ReleaseOffer, instance: InstanceConfig): string[] {
  const name = archiveFileName(offer);
  const urls = [...offer.downloads.zip, offer.url, ...instance.download.mirrors.map((m) => `${m.replace(/\/+$/, '')}/${name}`)];
  return [...new Set(urls.filter((u) => u.length > 0))];
}


interface CacheIndex { sha512: string; signature: string | undefined; sourceUrl: string; size: number }

/** A damaged or foreign index is ignored (the archive is downloaded again), never trusted. Unsigned builds are never reused. */
function readCacheIndex(path: string): CacheIndex | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const index = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheIndex>;
    if (typeof index.sha512 !== 'string' || !/^[0-9a-f]{128}$/.test(index.sha512) || typeof index.size !== 'number' || typeof index.sourceUrl !== 'string') return undefined;
    return index as CacheIndex;
  } catch {
    return undefined;
  }
}

/** `$OC_Version` of the archive's version.php, read as text (never executed): the bytes must be the release offered. */
async function checkArchiveVersion(host: Host, path: string, offer: ReleaseOffer, instance: string): Promise<void> {
  if (offer.version === '100.0.0.0') return;
  const source = await host.run({ file: 'unzip', args: ['-p', path, 'nextcloud/version.php'], reject: false, timeoutMs: 60_000 });
  const match = /\$OC_Version\s*=\s*(?:array\s*\(|\[)\s*([\d\s,]+?)\s*(?:\)|\])\s*;/.exec(source.stdout);
  const version = match?.[1]?.split(',').map((p) => p.trim()).join('.');
  if (version !== offer.version) {
    throw new NcupdError('NCUPD_RELEASE_MISMATCH', { detail: `the update server offered ${offer.version}, the archive's version.php says ${version ?? 'nothing readable'}`, instance, stage: 'verify' });
  }
}

/**
 * Download (or reuse from the cache), verify and judge the archive, before anything touches an
 * instance. A file that fails is deleted from the cache, so forged bytes are never kept.
 */
export async function fetchVerifiedRelease(offer: ReleaseOffer, options: FetchOptions): Promise<VerifiedArchive> {
  const { instance } = options;
  const trustRoot = loadTrustRoot(instance.trust.certificate);
  const fileName = archiveFileName(offer);
  const urls = archiveUrls(offer, instance);
  const indexPath = join(options.cacheDir, 'index', `${fileName}.json`);
  let archive: { path: string; sha512: string; size: number; url: string } | undefined;
  let fromCache = false;
  const index = offer.signature ? readCacheIndex(indexPath) : undefined;
  if (index) {
    const path = join(options.cacheDir, 'archives', index.sha512, fileName);
    if (index.signature === offer.signature && existsSync(path)) {
      const sha512 = await sha512OfFile(path);
      if (sha512 === index.sha512) {
        archive = { path, sha512, size: index.size, url: index.sourceUrl };
        fromCache = true;
      } else {
        // The cached bytes changed on disk: never trust them, download again.
        rmSync(join(options.cacheDir, 'archives', index.sha512), { recursive: true, force: true });
      }
    }
  }
  archive ??= await downloadArchive({
    urls, fileName, cacheDir: options.cacheDir, maxBytes: instance.download.maxBytes, stallTimeoutMs: instance.download.timeoutSeconds * 1000,
    onProgress: options.onProgress, signal: options.signal, instance: instance.name,
  });
  let verified: VerifiedArchive;
  try {
    const checks: VerificationResult[] = [];
    for (const verifier of verifiers) {
      checks.push(await verifier.verify({
        archivePath: archive.path, fileName, sha512: archive.sha512, sourceUrl: archive.url, urls, signature: offer.signature, allowUnsigned: instance.policy.allowUnsigned,
        trust: instance.trust, trustRoot, host: options.host, instance: instance.name,
        fetchText: (url) => fetchText(url, instance.download.timeoutSeconds * 1000),
      }));
    }
    let entries;
    try {
      entries = readZipDirectory(archive.path);
    } catch (cause) {
      if (!(cause instanceof ZipFormatError)) throw cause;
      // Hidden or inconsistent structure is hostility, not damage: refuse it as unsafe.
      const code = cause instanceof ZipStructureError ? 'NCUPD_ARCHIVE_UNSAFE' : 'NCUPD_ARCHIVE_CORRUPT';
      throw new NcupdError(code, { detail: `${fileName}: ${cause.message}`, instance: instance.name, stage: 'verify', cause });
    }
    const verdict = checkEntries(entries, { ...DEFAULT_LIMITS, maxExpandedBytes: instance.download.maxExpandedBytes });
    if ('problem' in verdict) throw new NcupdError('NCUPD_ARCHIVE_UNSAFE', { detail: `${fileName}: ${verdict.problem}`, instance: instance.name, stage: 'verify' });
    await checkArchiveVersion(options.host, archive.path, offer, instance.name);
    mkdirSync(join(options.cacheDir, 'index'), { recursive: true, mode: 0o700 });
    const entry: CacheIndex = { sha512: archive.sha512, signature: offer.signature, sourceUrl: archive.url, size: archive.size };
    writeFileSync(indexPath, JSON.stringify(entry), { mode: 0o600 });
    verified = { path: archive.path, fileName, sha512: archive.sha512, size: archive.size, sourceUrl: archive.url, fromCache, checks, entries: verdict.entries, expandedBytes: verdict.expandedBytes, largestEntry: verdict.largestEntry, files: verdict.files };
  } catch (error) {
    rmSync(join(options.cacheDir, 'archives', archive.sha512), { recursive: true, force: true });
    rmSync(indexPath, { force: true });
    throw error;
  }
  // A genuine archive that does not fit this instance stays cached; only its use is refused.
  if (options.php) await checkTargetPhp(options.host, verified.path, fileName, options.php, instance.name);
  return verified;
}
