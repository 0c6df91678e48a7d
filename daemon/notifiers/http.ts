// One bounded HTTP request for webhooks and the heartbeat: Node's fetch, a deadline that covers
// the answer's body too, and errors that name the place without what may be secret in a URL.
import { redact } from '../hosts/redact.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Masked in every error text (a token the server may echo). */
  readonly secrets?: readonly string[];
  /** Webhooks refuse redirects (a POST must not turn into a GET somewhere else); a heartbeat may follow them. */
  readonly followRedirects?: boolean;
}

export interface HttpAnswer {
  readonly status: number;
  /** The first 300 characters of the body, secrets masked. */
  readonly body: string;
}

/**
 * `https://host/...`: the origin only. Paths carry secrets often enough (Slack and Discord webhook
 * tokens, ntfy topics, healthchecks.io ping ids), and so do queries and user:password; the
 * notifier's id (`webhook[0]`) tells which one it was.
 */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname === '/' && parsed.search === '' ? '/' : '/...'}`;
  } catch {
    return '(invalid URL)';
  }
}

/** The forms of the URL a library error may quote, to be masked. */
function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const rest = `${parsed.pathname}${parsed.search}`;
    return [url, parsed.href, ...(rest.length > 1 ? [rest] : []), ...(parsed.password ? [parsed.password] : [])];
  } catch {
    return [url];
  }
}

/** Sends the request; resolves with any HTTP answer, rejects (with a plain Error naming the cause) when none came in time. */
export async function httpRequest(request: HttpRequest): Promise<HttpAnswer> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const where = `${request.method} ${displayUrl(request.url)}`;
  try {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal, redirect: request.followRedirects ? 'follow' : 'error' });
    const body = await response.text();
    return { status: response.status, body: redact(body.slice(0, 300), request.secrets) };
  } catch (error) {
    if (deadline.aborted) throw new Error(`${where}: no answer within ${timeoutMs / 1000} s`, { cause: error });
    if (request.signal?.aborted) throw new Error(`${where}: cancelled`, { cause: error });
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    throw new Error(`${where}: ${redact(cause, [...urlSecrets(request.url), ...(request.secrets ?? [])])}`, { cause: error });
  }
}
