import { parseOccJson } from '../../../daemon/discovery/occ-json.js';
import type { HealthCheck } from '../check.js';
import { describeFailure, runOcc } from '../run-occ.js';

const ID = 'occ-status';
const OCC_TIMEOUT_MS = 120_000;

export interface ExpectedStatus {
  readonly version: string;
  readonly maintenance: boolean;
}

function show(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

/**
 * What is wrong with a status document (`occ status` and status.php share its keys, contract 5.2
 * and 6.3). A missing key counts as wrong: every version ncupd updates reports all four.
 */
export function statusMismatches(status: unknown, expected: ExpectedStatus): string[] {
  if (status === null || typeof status !== 'object' || Array.isArray(status)) return [`not a status object: ${show(status)}`];
  const s = status as Record<string, unknown>;
  const problems: string[] = [];
  if (s.installed !== true) problems.push(`installed is ${show(s.installed)}, expected true`);
  // The 4-part internal version: versionstring is the human one and cannot tell revisions apart (pitfall 4).
  if (s.version !== expected.version) problems.push(`version is ${show(s.version)}, expected "${expected.version}"`);
  // After a code swap without `occ upgrade`, status reports the new version and needsDbUpgrade (pitfall 13).
  if (s.needsDbUpgrade !== false) problems.push(`needsDbUpgrade is ${show(s.needsDbUpgrade)}, expected false`);
  if (s.maintenance !== expected.maintenance) problems.push(`maintenance is ${show(s.maintenance)}, expected ${expected.maintenance}`);
  return problems;
}

/** `occ status` as the web user: the instance itself says it is installed, on the version we expect, upgraded. */
export const occStatusCheck = {
  id: ID,
  phases: ['window', 'restored'],
  timeoutMs: OCC_TIMEOUT_MS + 10_000,
  async run(context) {
    const outcome = (status: 'passed' | 'failed', detail: string) => ({ check: ID, status, detail });
    const result = await runOcc(context, ['status', '--output=json'], OCC_TIMEOUT_MS);
    // A downgrade (old code, new config version) makes status itself fail (pitfall 18).
    if (result.exitCode !== 0) return outcome('failed', `occ status ${describeFailure(result)}`);
    const status = parseOccJson<unknown>(result.stdout);
    if (status === undefined) return outcome('failed', `occ status printed no JSON: ${describeFailure(result)}`);
    const problems = statusMismatches(status, { version: context.expectedVersion, maintenance: context.maintenanceExpected });
    if (problems.length > 0) return outcome('failed', `occ status: ${problems.join('; ')}`);
    return outcome('passed', `installed, version ${context.expectedVersion}, maintenance ${context.maintenanceExpected ? 'on' : 'off'}, no upgrade pending`);
  },
} satisfies HealthCheck;
