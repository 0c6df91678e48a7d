import type { HealthCheck } from '../check.js';
import { httpGet, joinUrl } from '../http-get.js';
import { statusMismatches } from '../occ-status/index.js';

const ID = 'status-php';
const HTTP_TIMEOUT_MS = 15_000;

function snippet(body: string): string {
  const text = body.replace(/\s+/g, ' ').trim();
  return text ? `: "${text.slice(0, 80)}${text.length > 80 ? '…' : ''}"` : ' (empty body)';
}

/**
 * status.php over HTTP (contract 6.3): what the web server's PHP serves, which can differ from what
 * occ's CLI PHP sees (opcache after a swap, another PHP version). It answers 200 even in maintenance.
 */
export const statusPhpCheck = {
  id: ID,
  phases: ['window', 'final', 'restored'],
  timeoutMs: HTTP_TIMEOUT_MS + 5_000,
  async run(context) {
    const outcome = (status: 'passed' | 'failed' | 'skipped', detail: string) => ({ check: ID, status, detail });
    if (!context.baseUrl) return outcome('skipped', 'no URL for the instance: set instances[].url or config.php overwrite.cli.url');
    const url = joinUrl(context.baseUrl, 'status.php');
    const got = await httpGet(url, { timeoutMs: HTTP_TIMEOUT_MS, signal: context.signal });
    if (!got.ok) return outcome('failed', got.reason);
    const { status, body } = got.response;
    // 500 with an empty body: an exception such as a downgrade; 503 "Update in process.": the updater's stub (pitfall 13).
    if (status !== 200) return outcome('failed', `${url} answered HTTP ${status}${snippet(body)}`);
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      return outcome('failed', `${url} answered 200 but not JSON${snippet(body)}`);
    }
    const problems = statusMismatches(document, { version: context.expectedVersion, maintenance: context.maintenanceExpected });
    if (problems.length > 0) return outcome('failed', `status.php: ${problems.join('; ')}`);
    return outcome('passed', `${url}: version ${context.expectedVersion}, maintenance ${context.maintenanceExpected ? 'on' : 'off'}`);
  },
} satisfies HealthCheck;
