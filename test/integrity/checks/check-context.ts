import { parseConfig } from '../../../daemon/config/load-config.js';
import type { InstanceConfig } from '../../../daemon/config/schema.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { CheckContext } from '../../../integrity/checks/check.js';
import type { FixtureInstance } from '../../fixtures/harness/instance.js';
import { SHIPPED_APPS } from '../../fixtures/release-builder/release-tree.js';

/** The instance's config entry as ncupd would load it, with operator checks if given. */
export function instanceConfig(instance: FixtureInstance, checks: Record<string, unknown> = {}): InstanceConfig {
  return parseConfig({ instances: [{ name: 't', path: instance.root, webUser: instance.webUser, checks }] }, 'test').instances[0]!;
}

/** Every shipped app of the fixture, enabled before the update. */
export const SHIPPED_BEFORE: CheckContext['appsBefore'] = Object.fromEntries(SHIPPED_APPS.map((app) => [app, { shipped: true }]));

/** A window-phase context on a healthy instance; tests override what they are about. */
export function contextFor(instance: FixtureInstance, overrides: Partial<CheckContext> & Pick<CheckContext, 'expectedVersion'>): CheckContext {
  return {
    host: createLocalHost(),
    instance: instanceConfig(instance),
    phase: 'window',
    baseUrl: undefined,
    integrityBaseline: undefined,
    appsBefore: SHIPPED_BEFORE,
    maintenanceExpected: false,
    ...overrides,
  };
}
