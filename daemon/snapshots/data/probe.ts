// What the filesystem under a path is, read on the host: the facts every method's `applies` and
// `ncupd check` decide on. findmnt and stat are util-linux and coreutils, present everywhere.
import type { Host } from '../../hosts/host.js';

export interface MountFacts {
  readonly fstype: string;
  /** Device or dataset (`/dev/mapper/vg-lv`, `pool/data`, `/dev/loop0[/sub]` for btrfs subvolumes). */
  readonly source: string;
  /** Mount point holding the path. */
  readonly target: string;
}

export async function mountOf(host: Host, path: string, signal?: AbortSignal): Promise<MountFacts | undefined> {
  const result = await host.run({ file: 'findmnt', args: ['-n', '-J', '-o', 'FSTYPE,SOURCE,TARGET', '-T', path], reject: false, signal });
  if (result.exitCode !== 0) return undefined;
  try {
    const parsed = JSON.parse(result.stdout) as { filesystems?: { fstype?: string; source?: string; target?: string }[] };
    const fs = parsed.filesystems?.[0];
    if (!fs?.fstype || !fs.target) return undefined;
    return { fstype: fs.fstype, source: fs.source ?? '', target: fs.target };
  } catch {
    return undefined;
  }
}

/** `stat -c <format>` of one path; undefined when it does not exist. */
export async function statOf(host: Host, path: string, format: string, signal?: AbortSignal): Promise<string | undefined> {
  const result = await host.run({ file: 'stat', args: ['-c', format, '--', path], reject: false, signal });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Device number of a path (`st_dev`): hard links and rename(2) work only within one. */
export async function deviceOf(host: Host, path: string, signal?: AbortSignal): Promise<string | undefined> {
  return statOf(host, path, '%d', signal);
}

/** The nearest existing ancestor (or the path itself): the home folder may not exist yet. */
export async function nearestExisting(host: Host, path: string, signal?: AbortSignal): Promise<string> {
  let current = path;
  for (;;) {
    if ((await statOf(host, current, '%i', signal)) !== undefined || current === '/' || current === '') return current || '/';
    current = current.slice(0, current.lastIndexOf('/')) || '/';
  }
}

/** Filesystem type name of the path (`stat -f -c %T`: btrfs, zfs, ext2/ext3 for ext4, xfs, tmpfs). */
export async function fsTypeOf(host: Host, path: string, signal?: AbortSignal): Promise<string | undefined> {
  const result = await host.run({ file: 'stat', args: ['-f', '-c', '%T', '--', path], reject: false, signal });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}
