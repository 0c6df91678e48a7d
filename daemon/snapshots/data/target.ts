import { dirname } from 'node:path';
import type { DataTarget } from './method.js';

/**
 * Where an instance's data snapshots live. Path-based snapshots must sit on the data directory's
 * filesystem (hard links and btrfs snapshots cannot cross it) and never where the web server
 * serves files: beside the data directory, or in the install root's work area
 * (`<parent>/.ncupd-<instance>`, design.md "Where trees live") when the data directory is inside
 * the install root, as Nextcloud's default puts it.
 */
export function dataTargetOf(instance: { readonly name: string; readonly path: string }, data: { readonly dataDirectory: string; readonly instanceId: string }): DataTarget {
  const installRoot = instance.path.replace(/\/+$/, '');
  const dataDir = data.dataDirectory.replace(/\/+$/, '');
  const inside = dataDir.startsWith(`${installRoot}/`);
  const home = inside ? `${dirname(installRoot)}/.ncupd-${instance.name}/data-snapshots` : `${dirname(dataDir)}/.ncupd-data-${instance.name}`;
  return { instance: instance.name, installRoot, dataDir, instanceId: data.instanceId, home };
}

/** The folder of one transaction's snapshot below the home. */
export function runFolder(target: DataTarget, txid: string): string {
  return `${target.home}/${txid}`;
}
