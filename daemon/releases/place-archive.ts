// Verified bytes only (issue 6): the archive is downloaded and verified once, on this machine;
// a remote instance gets a copy over SFTP whose SHA-512 is checked again where it will be
// unpacked, so what is installed is exactly what was verified.
import { readFile } from 'node:fs/promises';
import type { Host } from '../hosts/host.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { VerifiedArchive } from './fetch-release.js';

/**
 * The archive as the instance's host sees it: the cached file itself on this machine, else a
 * root-only copy in `remoteDir` (a private folder of the run on the target) checked with
 * sha512sum there. A copy that differs is removed and refused.
 */
export async function placeVerifiedArchive(host: Host, archive: VerifiedArchive, remoteDir: string, signal?: AbortSignal): Promise<VerifiedArchive> {
  if (host.kind === 'local') return archive;
  const remotePath = `${remoteDir}/${archive.fileName}`;
  // The cache is this machine's own (not instance files), so it is read directly.
  await host.writeFile(remotePath, await readFile(archive.path), { mode: 0o600 });
  const digest = (await host.run({ file: 'sha512sum', args: ['--', remotePath], timeoutMs: 600_000, signal })).stdout.split(/\s/)[0];
  if (digest !== archive.sha512) {
    await host.run({ file: 'rm', args: ['-f', '--', remotePath], reject: false });
    throw new NcupdError('NCUPD_SSH_TRANSFER_CORRUPT', { detail: `${archive.fileName} on ${host.id} has SHA-512 ${digest?.slice(0, 16) ?? '?'}..., not the verified ${archive.sha512.slice(0, 16)}...` });
  }
  return { ...archive, path: remotePath };
}
