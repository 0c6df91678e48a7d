import type { NcupdConfig } from './schema.js';
import { parseConfig } from './load-config.js';

/** The flags that describe one local instance without a config file (issue 3). */
export interface InstanceFlags {
  path?: string;
  webUser?: string;
  php?: string;
  url?: string;
  updateServer?: string;
  channel?: string;
  trustCert?: string;
  stateDir?: string;
  cacheDir?: string;
  strategy?: string;
  allowMajor?: boolean;
  reload?: string[];
}

/** A config of one instance named `default`, validated by the same schema as a file. */
export function configFromFlags(flags: InstanceFlags): NcupdConfig {
  const instance: Record<string, unknown> = { name: 'default', path: flags.path };
  if (flags.webUser) instance.webUser = flags.webUser;
  if (flags.php) instance.php = flags.php;
  if (flags.url) instance.url = flags.url;
  if (flags.updateServer) instance.updateServer = flags.updateServer;
  if (flags.channel) instance.channel = flags.channel;
  if (flags.strategy) instance.strategy = flags.strategy;
  if (flags.trustCert) instance.trust = { certificate: flags.trustCert };
  if (flags.allowMajor) instance.policy = { majors: 'allow' };
  if (flags.reload && flags.reload.length > 0) instance.reloadCommand = flags.reload;
  const config: Record<string, unknown> = { instances: [instance] };
  if (flags.stateDir) config.stateDir = flags.stateDir;
  if (flags.cacheDir) config.cacheDir = flags.cacheDir;
  return parseConfig(config, 'command-line flags');
}
