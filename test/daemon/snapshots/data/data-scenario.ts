// A small data directory shaped like Nextcloud's (user files, app data, the SQLite file at the
// top) and the changes a failing migration makes to it: app data rewritten in place, a preview
// added, another removed, the database file rewritten in place.
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DataTarget } from '../../../../daemon/snapshots/data/method.js';
import { dataTargetOf } from '../../../../daemon/snapshots/data/target.js';

export const INSTANCE_ID = 'ocdatatest1';
export const APPDATA = `appdata_${INSTANCE_ID}`;

export function makeDataDir(dataDir: string): void {
  const files: Record<string, string> = {
    '.ocdata': '',
    'nextcloud.db': 'SQLite format 3\0 rows before the run',
    'admin/files/Documents/readme.md': '# Notes of admin\n',
    'admin/files/Photos/cat.jpg': 'jpeg bytes of a cat',
    'user1/files/report.odt': 'a report',
    [`${APPDATA}/preview/1-64-64.png`]: 'preview',
    [`${APPDATA}/theming/logo.svg`]: '<svg>old logo</svg>',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dataDir, path, '..'), { recursive: true });
    writeFileSync(join(dataDir, path), content);
  }
}

/** Rewrites a file in place (same inode), as file_put_contents and SQLite do. */
export function rewriteInPlace(path: string, content: string): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, content, 0);
  } finally {
    closeSync(fd);
  }
}

/** What `occ upgrade` with a failing migration does to the data directory before it throws. */
export function failingMigration(dataDir: string): void {
  rewriteInPlace(join(dataDir, APPDATA, 'theming/logo.svg'), '<svg>NEW logo, half written');
  writeFileSync(join(dataDir, APPDATA, 'preview/2-64-64.png'), 'new preview');
  writeFileSync(join(dataDir, APPDATA, 'preview/1-64-64.png'), 'regenerated');
  rewriteInPlace(join(dataDir, 'nextcloud.db'), 'SQLite format 3\0 rows AFTER migration');
}

/** Every file below `root`, relative. */
export function filesBelow(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

export function targetFor(dataDir: string, installRoot = '/srv/nowhere/nextcloud'): DataTarget {
  return dataTargetOf({ name: 'cloud', path: installRoot }, { dataDirectory: dataDir, instanceId: INSTANCE_ID });
}
