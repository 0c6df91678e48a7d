import type { Host } from '../hosts/host.js';

// File operations on the instance host, through the Host so local and SSH behave the same.

export async function exists(host: Host, path: string): Promise<boolean> {
  return host.exists(path);
}

/** Whether two paths lie on one filesystem (a rename between them cannot fail with EXDEV). */
export async function sameFilesystem(host: Host, a: string, b: string): Promise<boolean> {
  const device = async (path: string) => (await host.run({ file: 'stat', args: ['-c', '%d', path] })).stdout.trim();
  return (await device(a)) === (await device(b));
}

export async function isDirectory(host: Host, path: string): Promise<boolean> {
  return (await host.run({ file: 'test', args: ['-d', path], reject: false })).exitCode === 0;
}

/** rename(2): atomic on one filesystem, an error across mounts, never a copy (Host.rename). */
export async function rename(host: Host, from: string, to: string): Promise<void> {
  await host.rename(from, to);
}

/** A root-only folder (0700): nothing in it is readable by the web server. */
export async function makePrivateDir(host: Host, path: string): Promise<void> {
  await host.run({ file: 'mkdir', args: ['-p', '-m', '0700', path] });
  await host.run({ file: 'chmod', args: ['0700', path] });
}

/** Removes a tree ncupd created itself in this run; never used on instance data. */
export async function removeOwnTree(host: Host, path: string): Promise<void> {
  await host.run({ file: 'rm', args: ['-rf', '--one-file-system', '--', path], timeoutMs: 600_000 });
}

export interface Ownership {
  readonly uid: number;
  readonly gid: number;
  readonly mode: string;
}

export async function ownershipOf(host: Host, path: string): Promise<Ownership> {
  const result = await host.run({ file: 'stat', args: ['-c', '%u %g %a', path] });
  const [uid, gid, mode] = result.stdout.trim().split(' ');
  return { uid: Number(uid), gid: Number(gid), mode: mode ?? '755' };
}

export async function listDir(host: Host, path: string): Promise<string[]> {
  return (await host.listDir(path)).sort();
}

/** Flushes the filesystem holding `path` (data and metadata) before the window relies on it. */
export async function syncFilesystem(host: Host, path: string): Promise<void> {
  await host.run({ file: 'sync', args: ['-f', path], timeoutMs: 600_000 });
}

/** Free bytes on the filesystem holding `path`. */
export async function freeBytes(host: Host, path: string): Promise<number> {
  const result = await host.run({ file: 'df', args: ['-B1', '--output=avail', path] });
  return Number(result.stdout.trim().split('\n').pop());
}

/** Bytes used below `path` (du -s). */
export async function usedBytes(host: Host, path: string): Promise<number> {
  const result = await host.run({ file: 'du', args: ['-s', '-B1', '--one-file-system', path], timeoutMs: 600_000 });
  return Number(result.stdout.trim().split(/\s+/)[0]);
}
