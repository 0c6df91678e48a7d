// The re-check of the previous ring before the next one starts (docs/fleets.md). Apart from
// run-instance.ts so the daemon loads the engine only with its first run (docs/performance.md).
import type { InstanceConfig } from '../config/schema.js';
import { occStatus } from '../engine/occ.js';
import type { Host } from '../hosts/host.js';
import { withInstanceHost } from '../hosts/registry.js';
import type { InstanceRecord } from './rollout-state.js';

/**
 * The re-check of an instance a ring updated, before the next ring starts: `occ status` on its
 * host must answer, show maintenance off, no pending database upgrade, and the version the run
 * installed. Returns the problem, or undefined when healthy.
 */
export function healthChecker(options: { readonly host: Host; readonly signal?: AbortSignal }): (instance: InstanceConfig, record: InstanceRecord) => Promise<string | undefined> {
  return (instance, record) => withInstanceHost(instance, options.host, async (instanceHost) => {
    const status = await occStatus(instanceHost, instance, { timeoutMs: 120_000, signal: options.signal });
    if (!status) return '`occ status` failed';
    if (status.maintenance) return 'maintenance mode is on';
    if (status.needsDbUpgrade) return 'Nextcloud says the database needs an upgrade';
    // occ prints the 4-part internal version; the run recorded the offer's version, 3 or 4 parts.
    if (record.to && status.version !== record.to && !status.version.startsWith(`${record.to}.`)) return `it runs ${status.version}, not ${record.to} as the rollout installed`;
    return undefined;
  });
}
