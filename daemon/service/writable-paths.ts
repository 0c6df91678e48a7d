import { dirname, isAbsolute } from 'node:path';
import { DEFAULT_CONFIG_PATH } from '../config/load-config.js';
import { configSchema, type InstanceConfig, type NcupdConfig } from '../config/schema.js';
import { PHP_PROBE } from '../discovery/php-probe.js';
import { parseOccJson } from '../discovery/occ-json.js';
import type { Host } from '../hosts/host.js';
import { unitPath } from './install-files.js';

// ProtectSystem=strict leaves the service only its own directories; this is the drop-in that adds
// the folders each instance needs written (systemd/README.md, "The instances drop-in").

/** config.php keys that name folders occ or ncupd write to outside the install root. */
const FOLDER_KEYS = ['datadirectory', 'updatedirectory', 'tempdirectory', 'logfile', 'apps_paths'] as const;

/** Hidden by ProtectHome=yes; such folders are bound in (ProtectHome=tmpfs + BindPaths=). */
const HOME_PREFIXES = ['/home/', '/root/', '/run/user/'];

export interface InstanceFolders {
  readonly name: string;
  readonly folders: readonly string[];
  /** Why config.php could not be read: then only the install root and its parent are listed. */
  readonly problem?: string;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && isAbsolute(value) ? value.replace(/(.)\/+$/, '$1') : undefined);

/**
 * The install root; its parent, where ncupd stages (`<parent>/.ncupd-<name>`); and the data,
 * update, temp, log and apps folders config.php names, read by the discovery probe as the web user.
 */
export async function instanceFolders(host: Host, instance: InstanceConfig): Promise<InstanceFolders> {
  const folders = [instance.path];
  if (dirname(instance.path) !== '/') folders.push(dirname(instance.path));
  const result = await host.run({
    file: instance.php, args: ['-d', 'display_errors=0', '-d', 'log_errors=0', '--', instance.path, JSON.stringify(FOLDER_KEYS), '{}'],
    input: PHP_PROBE, user: instance.webUser, timeoutMs: 60_000, reject: false,
  }).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
  if (typeof result === 'string') return { name: instance.name, folders, problem: result };
  const output = parseOccJson<{ error?: string; config?: Record<string, unknown> }>(result.stdout);
  if (output?.error) return { name: instance.name, folders, problem: output.error === 'no-nextcloud' ? `no Nextcloud at ${instance.path} yet` : `config.php: ${output.error}` };
  if (result.exitCode !== 0 || !output?.config) return { name: instance.name, folders, problem: `reading config.php failed (exit ${result.exitCode ?? result.signal})` };
  const config = output.config;
  const logfile = str(config.logfile);
  const apps = Array.isArray(config.apps_paths) ? config.apps_paths.map((entry: unknown) => str((entry as { path?: unknown } | null)?.path)) : [];
  for (const folder of [str(config.datadirectory), str(config.updatedirectory), str(config.tempdirectory), logfile && dirname(logfile), ...apps]) {
    if (folder && folder !== '/' && !folders.includes(folder)) folders.push(folder);
  }
  return { name: instance.name, folders };
}

const DEFAULTS = configSchema.parse({ instances: [{ name: 'x', path: '/x' }] });

/** The drop-in's text: one commented group per instance, plus non-default ncupd folders and extras. */
export function renderInstancesDropIn(config: NcupdConfig, instances: readonly InstanceFolders[], extra: readonly string[], configPath = DEFAULT_CONFIG_PATH): string {
  const groups: { comment: string; folders: readonly string[] }[] = instances.map((i) => ({
    comment: `instance ${i.name}: install root, parent (staging), ${i.problem ? `config.php not read (${i.problem.split('\n')[0]})` : 'folders named in config.php'}`,
    folders: i.folders,
  }));
  const own = [config.stateDir !== DEFAULTS.stateDir && config.stateDir, config.cacheDir !== DEFAULTS.cacheDir && config.cacheDir,
    config.daemon.controlSocket !== DEFAULTS.daemon.controlSocket && dirname(config.daemon.controlSocket)].filter((p): p is string => typeof p === 'string');
  if (own.length > 0) groups.push({ comment: 'ncupd\'s own folders outside StateDirectory=, CacheDirectory=, RuntimeDirectory=', folders: own });
  if (extra.length > 0) groups.push({ comment: 'given with --read-write', folders: extra });
  const lines = [
    `# Written by \`ncupd install-service\` from ${configPath}: the folders the service may change.`,
    '# Run `ncupd install-service` again after adding an instance or moving one of its folders.',
    '# "-": a folder that does not exist (yet) is skipped instead of failing the start.',
    '[Service]',
  ];
  const hidden = new Set<string>();
  for (const group of groups) {
    lines.push(`# ${group.comment}`, `ReadWritePaths=${group.folders.map((f) => `-${unitPath(f)}`).join(' ')}`);
    for (const folder of group.folders) if (HOME_PREFIXES.some((p) => `${folder}/`.startsWith(p))) hidden.add(folder);
  }
  if (hidden.size > 0) {
    lines.push('# Folders under /home, /root or /run/user: an empty /home with just these bound in.', 'ProtectHome=tmpfs',
      `BindPaths=${[...hidden].map((f) => `-${unitPath(f)}`).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
