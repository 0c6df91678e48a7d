import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { NcupdError } from '../errors/ncupd-error.js';
import type { ReleaseOffer } from './offer.js';
import { updateCheckUrl } from './update-request.js';

export interface QueryOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly instance?: string;
}

// Nextcloud's HTTP client defaults (contract 1.1), so the server treats ncupd like the instance itself.
const HEADERS = { 'User-Agent': 'Nextcloud Server Crawler', 'Accept-Encoding': 'gzip' };

function fail(code: 'NCUPD_UPDATE_SERVER_HTTP' | 'NCUPD_UPDATE_SERVER_INVALID' | 'NCUPD_UPDATE_SERVER_UNREACHABLE' | 'NCUPD_UPDATE_SERVER_TIMEOUT', detail: string, options: QueryOptions, cause?: unknown): never {
  throw new NcupdError(code, { detail, instance: options.instance, stage: 'decide', cause });
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '';
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function list(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(text).filter((v) => v.length > 0);
}

/** Reads every element of the answer (contract 1.4); an empty body is "no update" and returns undefined. */
export function parseUpdateAnswer(body: string, options: QueryOptions): ReleaseOffer | undefined {
  if (body.trim() === '') return undefined;
  const valid = XMLValidator.validate(body);
  if (valid !== true) fail('NCUPD_UPDATE_SERVER_INVALID', `invalid XML from the update server: ${valid.err.msg} (line ${valid.err.line})`, options);
  const parsed = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'zip' || name === 'bz2' }).parse(body) as { nextcloud?: Record<string, unknown> };
  const root = parsed.nextcloud;
  const version = text(root?.version);
  if (!root || !/^\d+\.\d+\.\d+\.\d+$/.test(version)) fail('NCUPD_UPDATE_SERVER_INVALID', 'the answer has no <nextcloud><version> of four numbers', options);
  const downloads = (root.downloads ?? {}) as Record<string, unknown>;
  const signature = text(root.signature).replace(/\s+/g, '');
  const zips = list(downloads.zip).filter(isHttpUrl);
  const url = text(root.url);
  if (zips.length === 0 && !isHttpUrl(url)) fail('NCUPD_UPDATE_SERVER_INVALID', `the answer for ${version} has no download URL (contract 4.6: "Response from update server is missing download URLs")`, options);
  return {
    version,
    versionString: text(root.versionstring).replace(/^Nextcloud\s+/, ''),
    url,
    downloads: { zip: zips, bz2: list(downloads.bz2).filter(isHttpUrl) },
    web: text(root.web),
    changes: text(root.changes),
    autoupdater: text(root.autoupdater) !== '0',
    eol: text(root.eol) === '1',
    eolDate: text(root.eolDate),
    signature: signature === '' ? undefined : signature,
  };
}

/** One update check: GET <base>?version=<fields>; HTTP errors, bad XML, timeouts and unreachable servers end in coded errors. */
export async function queryUpdateServer(base: string, parameter: string, options: QueryOptions): Promise<ReleaseOffer | undefined> {
  const url = updateCheckUrl(base, parameter);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, { headers: HEADERS, signal, redirect: 'follow' });
    body = await response.text();
  } catch (cause) {
    if (timeout.aborted) fail('NCUPD_UPDATE_SERVER_TIMEOUT', `no answer from ${base} within ${options.timeoutMs / 1000} s`, options, cause);
    const reason = (cause as { cause?: { code?: string; message?: string } }).cause;
    fail('NCUPD_UPDATE_SERVER_UNREACHABLE', `cannot reach ${base}: ${reason?.code ?? reason?.message ?? (cause as Error).message}`, options, cause);
  }
  if (response.status !== 200 && response.status !== 204) fail('NCUPD_UPDATE_SERVER_HTTP', `${base} answered HTTP ${response.status}`, options);
  return parseUpdateAnswer(body, options);
}
