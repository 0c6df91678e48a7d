// One instance's transaction inside a rollout: the same engine and host choice as `ncupd now`
// (a remote instance gets its SSH host; the release is downloaded and verified on this machine).
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import type { ProgressEvent } from '../engine/context.js';
import type { RunSummary } from '../engine/journal-types.js';
import { runUpdate } from '../engine/run-update.js';
import type { Host } from '../hosts/host.js';
import { withInstanceHost } from '../hosts/registry.js';

export interface InstanceRunnerOptions {
  readonly config: NcupdConfig;
  /** This machine (the orchestrator). */
  readonly host: Host;
  readonly signal?: AbortSignal;
  readonly emit?: (instance: string, event: ProgressEvent) => void;
}

export function instanceRunner(options: InstanceRunnerOptions): (instance: InstanceConfig) => Promise<RunSummary> {
  return (instance) => withInstanceHost(instance, options.host, (instanceHost) => runUpdate({
    host: instanceHost, orchestrator: instanceHost === options.host ? undefined : options.host, config: options.config, instance, signal: options.signal,
    emit: (event) => options.emit?.(instance.name, event),
  }));
}

