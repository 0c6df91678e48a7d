import type { Host } from '../../../daemon/hosts/host.js';
import type { InstanceConfig } from '../../../daemon/config/schema.js';
import { parseOccJson } from '../../../daemon/discovery/occ-json.js';
import type { HealthCheck, IntegrityReport } from '../check.js';
import { describeFailure, runOcc } from '../run-occ.js';

const ID = 'integrity-core';
/** Hashing a real tree (about 30,000 files, 600 MB) takes a while on a slow disk; the same limit as the preflight baseline. */
const OCC_TIMEOUT_MS = 600_000;
const GIT_NOTICE = 'can not be used on git checkouts';
/** Enough paths to act on without flooding a notification. */
const NAMED_AT_MOST = 5;

export type IntegrityCheckResult =
  | { readonly kind: 'report'; readonly report: IntegrityReport }
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `occ integrity:check-core --output=json` (contract 3.2): exit 2 with the git notice when the
 * check is not enforced; otherwise JSON, `[]` (an empty array) when clean. Exported for the
 * preflight stage, which takes the baseline the same way.
 */
export async function readIntegrityReport(host: Host, instance: InstanceConfig, signal?: AbortSignal): Promise<IntegrityCheckResult> {
  const result = await runOcc({ host, instance, signal }, ['integrity:check-core', '--output=json'], OCC_TIMEOUT_MS);
  // The notice is plain text even with --output=json; exit 2 alone could be anything else.
  if (result.exitCode === 2 && `${result.stdout}\n${result.stderr}`.includes(GIT_NOTICE)) {
    return { kind: 'not-applicable', reason: `integrity:check-core ${GIT_NOTICE} (channel git, or integrity.check.disabled)` };
  }
  if (result.exitCode !== 0 && result.exitCode !== 1) return { kind: 'error', reason: `integrity:check-core ${describeFailure(result)}` };
  const parsed = parseOccJson<unknown>(result.stdout);
  if (Array.isArray(parsed) && parsed.length === 0) return { kind: 'report', report: {} };
  if (!isRecord(parsed) || !Object.values(parsed).every(isRecord)) {
    return { kind: 'error', reason: `integrity:check-core printed no report: ${describeFailure(result)}` };
  }
  return { kind: 'report', report: parsed as IntegrityReport };
}

/** `CATEGORY path` for every problem; an EXCEPTION (the check could not run) is one problem with its message. */
function problemKeys(report: IntegrityReport): Set<string> {
  const keys = new Set<string>();
  // A baseline handed over as occ printed it may still be the clean `[]`.
  if (Array.isArray(report)) return keys;
  for (const [category, entries] of Object.entries(report)) {
    if (category === 'EXCEPTION') keys.add(`EXCEPTION ${String(entries.message ?? JSON.stringify(entries))}`);
    else for (const path of Object.keys(entries)) keys.add(`${category} ${path}`);
  }
  return keys;
}

/**
 * Problems of `report` that `baseline` did not have, by (category, path). Hashes are not compared:
 * a file an admin changed before the update differs from the new release's hash too, and is no worse.
 */
export function newIntegrityProblems(report: IntegrityReport, baseline: IntegrityReport | undefined): string[] {
  const known = problemKeys(baseline ?? {});
  return [...problemKeys(report)].filter((key) => !known.has(key));
}

function nameSome(keys: readonly string[]): string {
  const named = keys.slice(0, NAMED_AT_MOST).join(', ');
  return keys.length > NAMED_AT_MOST ? `${named} and ${keys.length - NAMED_AT_MOST} more` : named;
}

/** The code on disk is what the release signed, or at least no worse than before the update. */
export const integrityCoreCheck = {
  id: ID,
  phases: ['window', 'restored'],
  timeoutMs: OCC_TIMEOUT_MS + 10_000,
  async run(context) {
    const outcome = (status: 'passed' | 'failed' | 'skipped', detail: string) => ({ check: ID, status, detail });
    const result = await readIntegrityReport(context.host, context.instance, context.signal);
    if (result.kind === 'not-applicable') return outcome('skipped', result.reason);
    if (result.kind === 'error') return outcome('failed', result.reason);
    const added = newIntegrityProblems(result.report, context.integrityBaseline);
    if (added.length > 0) {
      return outcome('failed', `${added.length} integrity problem${added.length > 1 ? 's' : ''} not in the baseline: ${nameSome(added)}`);
    }
    const known = problemKeys(result.report).size;
    return outcome('passed', known === 0 ? 'clean' : `no worse than the baseline (${known} known problem${known > 1 ? 's' : ''})`);
  },
} satisfies HealthCheck;
