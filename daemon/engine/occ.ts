import type { InstanceConfig } from '../config/schema.js';
import type { CommandResult, Host } from '../hosts/host.js';
import { NcupdError } from '../errors/ncupd-error.js';
import { parseOccJson } from '../discovery/occ-json.js';

export interface OccOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly secrets?: readonly string[];
}

/** `php occ ...` as the web user from the install root (contract 5.1). */
export function occ(host: Host, instance: InstanceConfig, args: readonly string[], options: OccOptions = {}): Promise<CommandResult> {
  return host.run({
    file: instance.php, args: [`${instance.path}/occ`, ...args], cwd: instance.path, user: instance.webUser,
    reject: false, timeoutMs: options.timeoutMs ?? 300_000, signal: options.signal, secrets: options.secrets,
  });
}

export interface OccStatus {
  readonly installed: boolean;
  readonly version: string;
  readonly versionstring: string;
  readonly maintenance: boolean;
  readonly needsDbUpgrade: boolean;
}

export async function occStatus(host: Host, instance: InstanceConfig, options: OccOptions = {}): Promise<OccStatus | undefined> {
  const result = await occ(host, instance, ['status', '--output=json'], options);
  return result.exitCode === 0 ? parseOccJson<OccStatus>(result.stdout) : undefined;
}

/**
 * Switches maintenance mode and reads it back: overrides in *.config.php, NC_ variables or
 * config_is_read_only can make the switch look successful and do nothing (contract pitfall 19).
 */
export async function setMaintenance(host: Host, instance: InstanceConfig, on: boolean, options: OccOptions = {}): Promise<void> {
  const result = await occ(host, instance, ['maintenance:mode', on ? '--on' : '--off'], options);
  const status = await occStatus(host, instance, options);
  if (result.exitCode !== 0 || status?.maintenance !== on) {
    throw new NcupdError('NCUPD_MAINTENANCE_FAILED', {
      instance: instance.name,
      detail: `maintenance:mode ${on ? '--on' : '--off'} exited ${result.exitCode ?? result.signal}, and status says maintenance ${status ? String(status.maintenance) : 'unknown'}: ${(result.stdout + result.stderr).trim().slice(-300)}`,
    });
  }
}
