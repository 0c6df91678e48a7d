import { createLocalHost } from '../../hosts/local/index.js';
import { findRestoreSource, runRestore } from '../../engine/run-restore.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { withInstanceHost } from '../../hosts/registry.js';
import type { Host } from '../../hosts/host.js';
import type { InstanceConfig, NcupdConfig } from '../../config/schema.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import { explain, progressLine, summaryLine } from '../progress.js';

function age(iso: string): string {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return seconds < 3600 ? `${Math.round(seconds / 60)} minutes` : seconds < 172_800 ? `${(seconds / 3600).toFixed(1)} hours` : `${(seconds / 86_400).toFixed(1)} days`;
}

/**
 * Days after the window, the data directory holds what users wrote since: it is put back only
 * when asked (issue 9), and even then what it replaces is moved aside, never deleted.
 */
function dataLines(source: Awaited<ReturnType<typeof findRestoreSource>>): string[] {
  if (!source.data || source.data.method === 'none') return ['DATA: this update took no data snapshot; the data directory stays as it is now.'];
  if (!source.withData) {
    return [`DATA: the data directory stays as it is now (files users added or changed since are kept). The ${source.data.method} data snapshot of that update`,
      '  is not put back unless you pass --with-data.'];
  }
  return [`DATA (--with-data): the data directory goes back to the ${source.data.method} snapshot of ${source.txid}; the current one is moved aside, not deleted:`,
    '  files users added or changed since are there, for you to copy back.'];
}

/** `ncupd rollback --instance X`: shows what the last snapshot would put back and what would be lost; acts only with --yes. */
export async function runRollback(options: GlobalOptions & { yes?: boolean; withData?: boolean }): Promise<number> {
  if (!options.instance) throw new NcupdError('NCUPD_USAGE', { detail: 'ncupd rollback needs --instance <name>: it restores one instance' });
  const config = resolveConfig(options);
  const [instance] = selectInstances(config, options.instance);
  // A remote instance's snapshot is looked for, and put back, over one SSH connection (issue 6).
  return withInstanceHost(instance!, createLocalHost(), (host) => rollbackOn(host, config, instance!, options));
}

async function rollbackOn(host: Host, config: NcupdConfig, instance: InstanceConfig, options: { yes?: boolean; withData?: boolean }): Promise<number> {
  const source = await findRestoreSource(host, config, instance, { withData: options.withData ?? false });
  const lines = [
    `${instance.name}: the update ${source.txid} (${source.version} -> ${source.to ?? '?'}) ended ${age(source.updatedAt)} ago, at ${source.updatedAt}.`,
    `Rolling back puts back its snapshot: the code tree, config/ and the database as they were just before that update (${source.version}).`,
    `LOST: every database change since then (${age(source.updatedAt)}): new and changed shares, comments, calendar and contact entries, users, app settings,`,
    '  and the file index: files uploaded since stay in the data directory, but Nextcloud will not list them until `occ files:scan --all`.',
    'The current state is snapshotted first; if the restore fails, it is undone and the instance stays as it is now.',
    ...dataLines(source),
  ];
  if (!options.yes) {
    process.stdout.write(`${lines.join('\n')}\nNothing was changed. Run again with --yes to roll back.\n`);
    return 0;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const summary = await runRestore({
    host, config, instance, source,
    emit: (event) => {
      const line = progressLine(event);
      if (line) process.stdout.write(`${line}\n`);
    },
  });
  process.stdout.write([summaryLine(summary), ...explain(summary)].join('\n') + '\n');
  if (summary.result === 'updated') {
    process.stdout.write(`  restored ${source.version}; run \`sudo -u ${instance.webUser} php ${instance.path}/occ files:scan --all\` so the file index matches the data directory${source.withData ? '' : ` (files uploaded since ${source.updatedAt} are on disk but not in the restored index)`}\n`);
  }
  return summary.result === 'updated' ? 0 : summary.result === 'rolled-back' ? 7 : summary.result === 'rollback-failed' ? 8 : 1;
}
