// Dead man's switch (`daemon.heartbeatUrl`): a GET after every successful check, so a monitor such
// as healthchecks.io or Uptime Kuma's push monitor raises the alarm when ncupd falls silent, which
// no notifier of ncupd's own can report.
import { displayUrl, httpRequest } from './http.js';

export interface HeartbeatResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly ms: number;
  /** Why it failed, without the URL's query (push tokens live there). */
  readonly error?: string;
}

/** Pings `url`; resolves with the outcome and never rejects (a monitor that is down must not stop the daemon). */
export async function pingHeartbeat(url: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<HeartbeatResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const answer = await httpRequest({ method: 'GET', url, timeoutMs: options.timeoutMs, signal: options.signal, followRedirects: true });
    const ok = answer.status >= 200 && answer.status <= 299;
    return { ok, status: answer.status, ms: ms(), ...(ok ? {} : { error: `GET ${displayUrl(url)} answered HTTP ${answer.status}` }) };
  } catch (error) {
    return { ok: false, ms: ms(), error: error instanceof Error ? error.message : String(error) };
  }
}
