import type { InstanceConfig } from '../../daemon/config/schema.js';
import type { CheckPhase, HealthCheck } from './check.js';
import { customCommandChecks } from './custom-command/index.js';
import { enabledAppsCheck } from './enabled-apps/index.js';
import { httpProbeChecks } from './http-probe/index.js';
import { integrityCoreCheck } from './integrity-core/index.js';
import { loginPageCheck } from './login-page/index.js';
import { occStatusCheck } from './occ-status/index.js';
import { statusPhpCheck } from './status-php/index.js';

/**
 * The built-in checks, listed by hand, in the order they run: the instance's own word first
 * (occ), then the costlier integrity hash, then what the web server serves.
 */
export const builtinChecks: readonly HealthCheck[] = [occStatusCheck, enabledAppsCheck, integrityCoreCheck, statusPhpCheck, loginPageCheck];

/** Folders whose checks come from the instance's configuration (one check per configured entry). */
export const operatorCheckKinds = ['custom-command', 'http-probe'] as const;

/** Every check that applies to `phase` for this instance: built-ins, then operator commands, then HTTP probes. */
export function checksFor(instance: InstanceConfig, phase: CheckPhase): HealthCheck[] {
  return [...builtinChecks, ...customCommandChecks(instance), ...httpProbeChecks(instance)].filter((check) => check.phases.includes(phase));
}
