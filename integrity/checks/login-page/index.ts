import type { HealthCheck } from '../check.js';
import { httpGet, joinUrl } from '../http-get.js';

const ID = 'login-page';
const HTTP_TIMEOUT_MS = 15_000;

/**
 * A form with a password field (server-rendered pages), or the guest layout's `body-login`: recent
 * Nextcloud renders the login form in the browser, so its HTML holds no password input.
 */
export function looksLikeLoginPage(html: string): boolean {
  const passwordForm = /<form\b[^>]*>[\s\S]*?<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(html);
  return passwordForm || /<body\b[^>]*\bid\s*=\s*["']body-login["']/i.test(html);
}

function title(html: string): string {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return match?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
}

/**
 * index.php serves the login page to an anonymous visitor: PHP, the code and the database work
 * together through the web server. status.php alone can answer while index.php fails.
 */
export const loginPageCheck = {
  id: ID,
  phases: ['final', 'restored'],
  timeoutMs: HTTP_TIMEOUT_MS + 5_000,
  async run(context) {
    const outcome = (status: 'passed' | 'failed' | 'skipped', detail: string) => ({ check: ID, status, detail });
    // In maintenance index.php answers 503 by design (contract 6.3): nothing to learn, nothing wrong.
    if (context.maintenanceExpected) return outcome('skipped', 'maintenance is expected on: index.php answers 503 by design');
    if (!context.baseUrl) return outcome('skipped', 'no URL for the instance: set instances[].url or config.php overwrite.cli.url');
    const url = joinUrl(context.baseUrl, 'index.php');
    // Real Nextcloud redirects an anonymous visitor to index.php/login.
    const got = await httpGet(url, { timeoutMs: HTTP_TIMEOUT_MS, signal: context.signal });
    if (!got.ok) return outcome('failed', got.reason);
    const { status, body, headers } = got.response;
    if (status !== 200) {
      const why = headers.get('x-nextcloud-maintenance-mode') === '1' ? ' (maintenance mode)' : title(body) ? ` ("${title(body)}")` : '';
      return outcome('failed', `${url} answered HTTP ${status}${why}`);
    }
    if (!looksLikeLoginPage(body)) return outcome('failed', `${got.response.url} answered 200 but not with the login page ("${title(body)}")`);
    return outcome('passed', `${got.response.url} serves the login page`);
  },
} satisfies HealthCheck;
