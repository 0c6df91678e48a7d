import { parseOccJson } from '../../../daemon/discovery/occ-json.js';
import type { HealthCheck } from '../check.js';
import { describeFailure, runOcc } from '../run-occ.js';

const ID = 'enabled-apps';
const OCC_TIMEOUT_MS = 120_000;

/** App id → version; PHP's json_encode prints an empty map as `[]`. */
type AppMap = Readonly<Record<string, unknown>>;

export interface AppComparison {
  /** Shipped apps enabled before and disabled now: the check fails. */
  readonly shippedDisabled: readonly string[];
  /** Third-party apps enabled before and disabled now (`occ upgrade` disables incompatible ones); the app policy decides. */
  readonly thirdPartyDisabled: readonly string[];
  /** Apps enabled before that the code no longer has (a release may drop a shipped app). */
  readonly gone: readonly string[];
}

function appMap(value: unknown): AppMap | undefined {
  if (Array.isArray(value)) return value.length === 0 ? {} : undefined;
  return value !== null && typeof value === 'object' ? (value as AppMap) : undefined;
}

export function compareApps(
  before: Readonly<Record<string, { readonly shipped: boolean }>>,
  now: { readonly enabled: AppMap; readonly disabled: AppMap },
): AppComparison {
  const shippedDisabled: string[] = [];
  const thirdPartyDisabled: string[] = [];
  const gone: string[] = [];
  for (const [app, { shipped }] of Object.entries(before).sort(([a], [b]) => a.localeCompare(b))) {
    if (Object.hasOwn(now.enabled, app)) continue;
    if (!Object.hasOwn(now.disabled, app)) gone.push(app);
    else (shipped ? shippedDisabled : thirdPartyDisabled).push(app);
  }
  return { shippedDisabled, thirdPartyDisabled, gone };
}

/**
 * Every app enabled before the update is still enabled (`occ app:list`, a core command, so it
 * works in maintenance mode too). Only shipped apps fail the check: a disabled shipped app means
 * the upgrade went wrong; third-party apps are the app policy's business and are only reported.
 */
export const enabledAppsCheck = {
  id: ID,
  phases: ['window', 'restored'],
  timeoutMs: OCC_TIMEOUT_MS + 10_000,
  async run(context) {
    const outcome = (status: 'passed' | 'failed', detail: string) => ({ check: ID, status, detail });
    const result = await runOcc(context, ['app:list', '--output=json'], OCC_TIMEOUT_MS);
    if (result.exitCode !== 0) return outcome('failed', `occ app:list ${describeFailure(result)}`);
    const list = parseOccJson<{ enabled?: unknown; disabled?: unknown }>(result.stdout);
    const enabled = appMap(list?.enabled);
    const disabled = appMap(list?.disabled ?? {});
    if (!enabled || !disabled) return outcome('failed', `occ app:list printed no app list: ${describeFailure(result)}`);
    const { shippedDisabled, thirdPartyDisabled, gone } = compareApps(context.appsBefore, { enabled, disabled });
    const notes = [
      shippedDisabled.length > 0 ? `shipped apps disabled: ${shippedDisabled.join(', ')}` : '',
      thirdPartyDisabled.length > 0 ? `third-party apps disabled (the app policy decides): ${thirdPartyDisabled.join(', ')}` : '',
      gone.length > 0 ? `no longer present: ${gone.join(', ')}` : '',
    ].filter(Boolean);
    const kept = Object.keys(context.appsBefore).length - shippedDisabled.length - thirdPartyDisabled.length - gone.length;
    const summary = `${kept} of ${Object.keys(context.appsBefore).length} apps enabled before are still enabled`;
    return outcome(shippedDisabled.length > 0 ? 'failed' : 'passed', [summary, ...notes].join('; '));
  },
} satisfies HealthCheck;
