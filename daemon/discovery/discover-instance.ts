import type { Host } from '../hosts/host.js';
import type { InstanceConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';
import { parseDbHost, type DbEndpoint } from './dbhost.js';
import { classifyInstall, installMarkers, type InstallTypeVerdict } from './install-type.js';
import { parseOccJson } from './occ-json.js';
import { occ } from '../engine/occ.js';
import { PHP_PROBE, PROBE_KEYS } from './php-probe.js';
import { parsePhpBounds, type PhpBounds } from './version-check.js';

export interface InstanceApp {
  readonly id: string;
  readonly dir: string;
  readonly version: string | null;
  readonly min: string | null;
  readonly max: string | null;
  readonly shipped: boolean;
  readonly enabled: boolean;
}

/** What ncupd knows about an instance, read from the instance itself every run (style.md, point 8). */
export interface DiscoveredInstance {
  readonly name: string;
  readonly root: string;
  readonly webUser: string;
  readonly phpBinary: string;
  readonly php: { readonly version: string; readonly major: number; readonly minor: number; readonly release: number };
  /** version.php: the code's internal version (4 parts) and the rest. */
  readonly code: { readonly version: string; readonly versionString: string; readonly channel: string; readonly build: string; readonly vendor: string };
  /** config.php `version`: the database's version. */
  readonly installedVersion: string;
  readonly installed: boolean;
  readonly maintenance: boolean;
  /** config_is_read_only: maintenance:mode and occ upgrade cannot write config.php. */
  readonly configReadOnly: boolean;
  /** Where the official updater keeps .step, downloads and backups: `<updatedirectory or datadirectory>/updater-<instanceid>`. */
  readonly updaterDir: string;
  readonly instanceId: string;
  readonly dataDirectory: string;
  readonly dbType: string;
  readonly db: DbEndpoint;
  readonly dbName: string;
  readonly hasDbPassword: boolean;
  readonly channel: string;
  readonly updateServerUrl: string;
  /** appconfig core/installedat, the staged-rollout seed; '' when never set. */
  readonly installedAt: string;
  readonly apps: readonly InstanceApp[];
  readonly configFiles: readonly string[];
  readonly installType: InstallTypeVerdict;
  readonly phpBounds: PhpBounds;
  readonly updaterStep: { readonly path: string; readonly state: string | undefined; readonly step: number | undefined } | undefined;
}

interface ProbeOutput {
  error?: string;
  file?: string;
  line?: number;
  php: { version: string; major: number; minor: number; release: number };
  versionPhp: { version: number[] | null; versionString: string | null; channel: string | null; build: string | null; vendor: string | null };
  config: Record<string, unknown>;
  configFiles: string[];
  configOwner?: string;
  hasDbPassword: boolean;
  shippedApps: string[] | null;
  apps: Record<string, { dir: string; version: string | null; min: string | null; max: string | null }>;
  versionCheck: string | null;
  gitCheckout: boolean;
  markers: Record<string, boolean>;
  updaterStep: { path: string; content: string } | null;
}

export interface DiscoverOptions {
  /** Prefix of the host's filesystem where install-type markers are looked for (tests build fake systems). */
  readonly sysroot?: string;
  /** dpkg's database to ask who owns version.php (tests use a fixture database). */
  readonly dpkgAdminDir?: string;
  readonly signal?: AbortSignal;
}

const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

async function probe(host: Host, instance: InstanceConfig, sysroot: string, signal?: AbortSignal): Promise<ProbeOutput> {
  // display_errors off: PHP's own messages about config.php could quote a line holding a secret.
  const result = await host.run({
    file: instance.php, args: ['-d', 'display_errors=0', '-d', 'log_errors=0', '--', instance.path, JSON.stringify(PROBE_KEYS), JSON.stringify(installMarkers(sysroot))],
    input: PHP_PROBE, user: instance.webUser, timeoutMs: 60_000, reject: false, signal,
  });
  const output = parseOccJson<ProbeOutput>(result.stdout);
  if (result.exitCode !== 0 || !output) {
    throw new NcupdError('NCUPD_INSTANCE_UNREADABLE', {
      instance: instance.name, stage: 'discover',
      detail: `reading ${instance.path} with ${instance.php} as ${instance.webUser} failed (exit ${result.exitCode ?? result.signal})`,
      hint: `Run \`sudo -u ${instance.webUser} ${instance.php} ${instance.path}/occ status\` to see PHP's own message.`,
    });
  }
  if (output.error === 'config-unreadable' || output.error === 'version-unreadable') {
    const file = output.error === 'version-unreadable' ? 'version.php' : `config/${output.file ?? 'config.php'}`;
    throw new NcupdError('NCUPD_INSTANCE_UNREADABLE', { instance: instance.name, stage: 'discover', detail: `${file} has a PHP error at line ${output.line ?? '?'}`,
      hint: `Check it with \`${instance.php} -l ${instance.path}/${file}\`; Nextcloud itself cannot read it either.` });
  }
  if (output.error === 'no-nextcloud') {
    throw new NcupdError('NCUPD_INSTANCE_NOT_FOUND', { instance: instance.name, stage: 'discover', detail: `no Nextcloud at ${instance.path}: version.php or occ is missing` });
  }
  return output;
}

async function owningPackage(host: Host, file: string, adminDir: string | undefined): Promise<string | undefined> {
  const result = await host.run({ file: 'dpkg-query', args: [...(adminDir ? [`--admindir=${adminDir}`] : []), '-S', file], reject: false, timeoutMs: 30_000 })
    .catch(() => undefined);
  if (!result || result.exitCode !== 0) return undefined;
  return result.stdout.split(':')[0]?.trim() || undefined;
}

function runOcc(host: Host, instance: InstanceConfig, args: string[], signal?: AbortSignal) {
  return occ(host, instance, args, { timeoutMs: 120_000, signal });
}

function occFailed(instance: InstanceConfig, what: string, result: { exitCode: number | undefined; signal: string | undefined }): NcupdError {
  return new NcupdError('NCUPD_INSTANCE_UNREADABLE', { instance: instance.name, stage: 'discover', detail: `occ ${what} failed (exit ${result.exitCode ?? result.signal})`,
    hint: `Run \`sudo -u ${instance.webUser} ${instance.php} ${instance.path}/occ ${what}\` to see why (database down, wrong user?).` });
}

/**
 * core/installedat, the staged-rollout seed. occ may print a PCNTL warning on stdout first
 * (contract 5.1), so only a last line that is a number counts; exit 1 with no output means unset.
 * Any other failure fails closed: guessing would put the instance in every rollout.
 */
async function readInstalledAt(host: Host, instance: InstanceConfig, signal?: AbortSignal): Promise<string> {
  const result = await runOcc(host, instance, ['config:app:get', 'core', 'installedat'], signal);
  const last = result.stdout.trim().split('\n').pop()?.trim() ?? '';
  if (result.exitCode === 0 && /^\d+(\.\d+)?$/.test(last)) return last;
  if (result.exitCode === 1 && !/^\d/.test(last) && !/exception|error/i.test(result.stdout + result.stderr)) return '';
  throw occFailed(instance, 'config:app:get core installedat', result);
}

/** Enabled apps from occ; a failure fails closed (the app policy cannot be applied blind). */
async function readEnabledApps(host: Host, instance: InstanceConfig, signal?: AbortSignal): Promise<Set<string>> {
  const result = await runOcc(host, instance, ['app:list', '--output=json'], signal);
  const list = result.exitCode === 0 ? parseOccJson<{ enabled?: Record<string, string> }>(result.stdout) : undefined;
  if (!list?.enabled) throw occFailed(instance, 'app:list --output=json', result);
  return new Set(Object.keys(list.enabled));
}

function parseStep(step: ProbeOutput['updaterStep']): DiscoveredInstance['updaterStep'] {
  if (!step) return undefined;
  const parsed = parseOccJson<{ state?: string; step?: number }>(step.content);
  return { path: step.path, state: parsed?.state, step: parsed?.step };
}

/** Reads config.php (merged), version.php, PHP, apps and install type by running PHP on the target. */
export async function discoverInstance(host: Host, instance: InstanceConfig, options: DiscoverOptions = {}): Promise<DiscoveredInstance> {
  const sysroot = options.sysroot ?? '';
  const p = await probe(host, instance, sysroot, options.signal);
  const c = p.config;
  const code = p.versionPhp;
  const codeVersion = Array.isArray(code.version) ? code.version.join('.') : '';
  const installType = classifyInstall({
    root: instance.path, sysroot, dataDirectory: str(c.datadirectory) || undefined, channel: code.channel ?? undefined,
    gitCheckout: p.gitCheckout, markers: p.markers, owningPackage: await owningPackage(host, `${instance.path}/version.php`, options.dpkgAdminDir),
  });
  const installed = c.installed === true;
  let installedAt = '';
  let enabled = new Set<string>();
  if (installed && installType.updatePath === undefined) {
    installedAt = await readInstalledAt(host, instance, options.signal);
    enabled = await readEnabledApps(host, instance, options.signal);
  }
  const shipped = new Set(p.shippedApps ?? []);
  return {
    name: instance.name, root: instance.path, webUser: instance.webUser, phpBinary: instance.php, php: p.php,
    code: { version: codeVersion, versionString: code.versionString ?? '', channel: code.channel ?? '', build: code.build ?? '', vendor: code.vendor ?? '' },
    installedVersion: str(c.version), installed, maintenance: c.maintenance === true, instanceId: str(c.instanceid),
    configReadOnly: c.config_is_read_only === true,
    updaterDir: `${(str(c.updatedirectory) || str(c.datadirectory, `${instance.path}/data`)).replace(/\/+$/, '')}/updater-${str(c.instanceid)}`,
    dataDirectory: str(c.datadirectory, `${instance.path}/data`), dbType: str(c.dbtype, 'sqlite3') === 'sqlite' ? 'sqlite3' : str(c.dbtype, 'sqlite3'),
    db: parseDbHost(str(c.dbhost, 'localhost')), dbName: str(c.dbname, 'owncloud'), hasDbPassword: p.hasDbPassword,
    channel: instance.channel ?? (str(c['updater.release.channel']) || code.channel || 'stable'),
    updateServerUrl: instance.updateServer ?? (str(c['updater.server.url']) || 'https://updates.nextcloud.com/updater_server/'),
    installedAt,
    apps: Object.entries(p.apps).map(([id, app]) => ({ id, ...app, shipped: shipped.has(id), enabled: enabled.has(id) })),
    configFiles: p.configFiles, installType, phpBounds: parsePhpBounds(p.versionCheck), updaterStep: parseStep(p.updaterStep),
  };
}
