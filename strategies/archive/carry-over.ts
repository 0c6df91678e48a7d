import type { Host } from '../../daemon/hosts/host.js';
import { listDir } from '../../daemon/engine/host-fs.js';

/** Root entries of a Nextcloud release (contract 4.3 step 1): never carried from the old tree. */
const RELEASE_ENTRIES = new Set(['.reuse', '3rdparty', 'apps', 'config', 'core', 'dist', 'l10n', 'lib', 'LICENSES', 'ocs', 'ocs-provider', 'ocm-provider',
  'resources', 'settings', 'themes', 'updater', 'index.html', 'indie.json', '.user.ini', 'composer.json', 'composer.lock', 'console.php', 'cron.php',
  'custom.d.ts', 'cypress.d.ts', 'index.php', 'package.json', 'package-lock.json', 'public.php', 'remote.php', 'status.php', 'version.php', 'robots.txt',
  '.htaccess', 'AUTHORS', 'CHANGELOG.md', 'COPYING', 'COPYING-AGPL', 'occ', 'db_structure.xml', 'REUSE.toml']);

/** One rename from the live tree into the staged tree (undone by the reverse rename). */
export interface CarryMove {
  /** Path relative to the install root. */
  readonly relative: string;
  readonly why: string;
  /** Copy instead of rename: apps the upgrade may change in place stay intact in the old tree. */
  readonly copy?: boolean;
}

export interface CarryPlan {
  readonly moves: readonly CarryMove[];
}

/**
 * What belongs to the instance rather than the release (shared/design.md, "What carries over"):
 * config/, the data directory inside the root, custom themes, third-party apps and apps_paths
 * folders, and root entries no release has. All of it moves by rename, inside the window.
 */
export async function planCarryOver(host: Host, live: string, staged: string, dataDirectory: string, appsPaths: readonly string[], shippedBefore: ReadonlySet<string>): Promise<CarryPlan> {
  const moves: CarryMove[] = [{ relative: 'config', why: 'configuration' }];
  const liveEntries = await listDir(host, live);
  const stagedEntries = new Set(await listDir(host, staged));
  const inside = (path: string) => (path.startsWith(`${live}/`) ? path.slice(live.length + 1) : undefined);
  const dataRelative = inside(dataDirectory.replace(/\/+$/, ''));
  if (dataRelative && !dataRelative.includes('/')) moves.push({ relative: dataRelative, why: 'data directory inside the install root' });
  const appsDirs = new Set(appsPaths.map(inside).filter((p): p is string => p !== undefined && p !== 'apps' && !p.includes('/')));
  for (const dir of appsDirs) if (liveEntries.includes(dir)) moves.push({ relative: dir, why: 'apps_paths folder', copy: true });
  const stagedApps = new Set(await listDir(host, `${staged}/apps`));
  for (const app of await listDir(host, `${live}/apps`)) {
    // A shipped app the new release dropped is not the instance's: it stays with the old tree.
    if (!stagedApps.has(app) && !shippedBefore.has(app)) moves.push({ relative: `apps/${app}`, why: 'third-party app', copy: true });
  }
  const stagedThemes = new Set(await listDir(host, `${staged}/themes`));
  for (const theme of await listDir(host, `${live}/themes`)) {
    if (!stagedThemes.has(theme)) moves.push({ relative: `themes/${theme}`, why: 'theme', copy: true });
  }
  const taken = new Set(moves.map((m) => m.relative.split('/')[0]));
  for (const entry of liveEntries) {
    if (!RELEASE_ENTRIES.has(entry) && !stagedEntries.has(entry) && !taken.has(entry)) moves.push({ relative: entry, why: 'instance file in the install root' });
  }
  return { moves };
}

/** The instance's own lines: below the marker in .htaccess; lines the new release lacks in .user.ini. */
export function mergeInstanceLines(kind: '.htaccess' | '.user.ini', live: string, release: string): string {
  if (kind === '.htaccess') {
    const marker = '#### DO NOT CHANGE ANYTHING ABOVE THIS LINE ####';
    const own = live.includes(marker) ? live.slice(live.indexOf(marker) + marker.length).replace(/^\n/, '') : '';
    if (own.trim() === '') return release;
    return release.includes(marker) ? `${release.replace(/\n?$/, '\n')}${own}` : `${release.replace(/\n?$/, '\n')}${marker}\n${own}`;
  }
  const known = new Set(release.split('\n').map((l) => l.trim()));
  const own = live.split('\n').filter((l) => l.trim() !== '' && !known.has(l.trim()));
  return own.length === 0 ? release : `${release.replace(/\n?$/, '\n')}; carried over from the previous release by ncupd\n${own.join('\n')}\n`;
}
