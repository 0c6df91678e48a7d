import type { InstanceConfig } from '../../../daemon/config/schema.js';
import type { HealthCheck } from '../check.js';
import { httpGet, joinUrl } from '../http-get.js';

export type HttpProbeConfig = InstanceConfig['checks']['http'][number];

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Absolute URL as configured, or a path below the instance's base URL; undefined when there is no base. */
export function probeUrl(url: string, baseUrl: string | undefined): string | undefined {
  if (ABSOLUTE.test(url)) return url;
  return baseUrl ? joinUrl(baseUrl, url) : undefined;
}

/**
 * One operator-defined HTTP probe (config `checks.http[]`) as its own check, so a failure names
 * the entry and each probe keeps its own deadline.
 */
export function httpProbeCheck(entry: HttpProbeConfig): HealthCheck {
  const id = `http-probe:${entry.name}`;
  const timeoutMs = entry.timeoutSeconds * 1000;
  return {
    id,
    // After maintenance is off (config schema): most pages answer 503 before that.
    phases: ['final'],
    timeoutMs: timeoutMs + 5_000,
    async run(context) {
      const url = probeUrl(entry.url, context.baseUrl);
      if (!url) return { check: id, status: 'skipped', detail: `"${entry.url}" is relative and the instance has no URL (instances[].url or overwrite.cli.url)` };
      // A probe that expects a redirect must see it rather than where it leads.
      const redirect = entry.expectStatus >= 300 && entry.expectStatus < 400 ? 'manual' : 'follow';
      const got = await httpGet(url, { timeoutMs, signal: context.signal, redirect });
      if (!got.ok) return { check: id, status: 'failed', detail: got.reason };
      const { status, body } = got.response;
      if (status !== entry.expectStatus) return { check: id, status: 'failed', detail: `${url} answered HTTP ${status}, expected ${entry.expectStatus}` };
      if (entry.contains !== undefined && !body.includes(entry.contains)) {
        return { check: id, status: 'failed', detail: `${url} answered HTTP ${status} but the body does not contain ${JSON.stringify(entry.contains)}` };
      }
      return { check: id, status: 'passed', detail: `${url} answered HTTP ${status}${entry.contains !== undefined ? ` containing ${JSON.stringify(entry.contains)}` : ''}` };
    },
  } satisfies HealthCheck;
}

/** The instance's configured probes, one check each, in configuration order. */
export function httpProbeChecks(instance: InstanceConfig): HealthCheck[] {
  return instance.checks.http.map(httpProbeCheck);
}
