import type { Host } from '../hosts/host.js';
import { NcupdError } from '../errors/ncupd-error.js';

// config/ is copied (not moved): Nextcloud rewrites config.php in place (design.md), and the copy
// must outlive the live folder's changes. cp -a keeps owner, mode and times.

async function checksums(host: Host, dir: string): Promise<string> {
  const list = await host.run({ file: 'find', args: [dir, '-type', 'f', '-printf', '%P\\n'] });
  const files = list.stdout.split('\n').filter(Boolean).sort();
  if (files.length === 0) return '';
  const sums = await host.run({ file: 'sha256sum', args: files, cwd: dir });
  return sums.stdout;
}

export async function snapshotConfig(host: Host, root: string, dest: string): Promise<void> {
  await host.run({ file: 'cp', args: ['-a', `${root}/config`, dest] });
  const [live, copy] = [await checksums(host, `${root}/config`), await checksums(host, dest)];
  if (live !== copy || copy === '') throw new NcupdError('NCUPD_SNAPSHOT_INVALID', { stage: 'snapshot', detail: `the copy of ${root}/config differs from the original` });
  await host.writeFile(`${dest}.sha256`, copy, { mode: 0o600 });
}

/** Puts config/ back exactly: files the run added are removed, changed ones replaced. */
export async function restoreConfig(host: Host, source: string, root: string): Promise<void> {
  const expected = (await host.readFile(`${source}.sha256`)).toString('utf8');
  if ((await checksums(host, source)) !== expected) throw new NcupdError('NCUPD_RESTORE_FAILED', { detail: `${source} no longer matches its checksums` });
  const target = `${root}/config`;
  const present = (await host.run({ file: 'find', args: [target, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\n'], reject: false })).stdout.split('\n').filter(Boolean);
  const kept = (await host.run({ file: 'find', args: [source, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\n'] })).stdout.split('\n').filter(Boolean);
  for (const name of present) if (!kept.includes(name)) await host.run({ file: 'rm', args: ['-rf', '--', `${target}/${name}`] });
  await host.run({ file: 'cp', args: ['-a', '--', `${source}/.`, target] });
  if ((await checksums(host, target)) !== expected) throw new NcupdError('NCUPD_RESTORE_FAILED', { detail: `${target} does not match the snapshot after restoring it` });
}
