import { existsSync } from 'node:fs';
import { loadConfigFile, DEFAULT_CONFIG_PATH } from '../config/load-config.js';
import { configFromFlags, type InstanceFlags } from '../config/from-flags.js';
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';

export interface GlobalOptions extends InstanceFlags {
  config?: string;
  instance?: string;
  json?: boolean;
}

/** The config of this run: a file, or one local instance described by flags (issue 3). */
export function resolveConfig(options: GlobalOptions): NcupdConfig {
  if (options.path) {
    if (options.config) throw new NcupdError('NCUPD_USAGE', { detail: 'give either --config or --path with instance flags, not both' });
    return configFromFlags(options);
  }
  const path = options.config ?? DEFAULT_CONFIG_PATH;
  if (!options.config && !existsSync(path)) {
    throw new NcupdError('NCUPD_CONFIG_NOT_FOUND', { detail: `no ${DEFAULT_CONFIG_PATH}, and no --config or --path given` });
  }
  return loadConfigFile(path);
}

export function selectInstances(config: NcupdConfig, name: string | undefined): InstanceConfig[] {
  if (!name) return [...config.instances];
  const found = config.instances.find((instance) => instance.name === name);
  if (!found) {
    throw new NcupdError('NCUPD_INSTANCE_UNKNOWN', { detail: `no instance "${name}" (configured: ${config.instances.map((i) => i.name).join(', ')})` });
  }
  return [found];
}
