export interface HttpGetResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Where the answer came from after redirects. */
  readonly url: string;
}

export type HttpGetResult =
  | { readonly ok: true; readonly response: HttpGetResponse }
  | { readonly ok: false; readonly reason: string };

export interface HttpGetOptions {
  readonly timeoutMs: number;
  /** The run's signal: its abort is rethrown, so the runner reports a cancellation, not a sick instance. */
  readonly signal?: AbortSignal;
  /** `manual` returns a 3xx as it is (probes that expect a redirect). */
  readonly redirect?: 'follow' | 'manual';
}

/** Node's fetch hides the network reason (ECONNREFUSED, certificate errors) in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** GET with a deadline covering headers and body; network failures become a one-line reason. */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpGetResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    const response = await fetch(url, { signal, redirect: options.redirect ?? 'follow', headers: { accept: '*/*' } });
    const body = await response.text();
    return { ok: true, response: { status: response.status, headers: response.headers, body, url: response.url || url } };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (deadline.aborted) return { ok: false, reason: `no answer from ${url} within ${options.timeoutMs / 1000} s` };
    return { ok: false, reason: `${url} could not be fetched: ${networkReason(error)}` };
  }
}

/** `<base>/<path>` whether or not the base ends with a slash (Nextcloud may live below a path). */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
