// What the status shows of an instance's snapshots: the newest one (age and size), read where the
// instance's snapshots live, and the data-snapshot setting with its risk.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../hosts/host.js';
import type { CheckResult } from '../releases/check-release.js';
import type { InstanceStatus } from './status-model.js';

/** `none` (or a refused method) is a risk the status shows, never a silent default (issue 9). */
export function dataSnapshotStatus(check: CheckResult | undefined): InstanceStatus['dataSnapshot'] {
  const report = check?.dataSnapshot;
  if (!report) return undefined;
  const risk = report.refused ? `the configured data-snapshot method is refused, so updates stop: ${report.refused}` : report.risk;
  return { method: report.method ?? 'refused', recommended: report.recommended, risk };
}

/** The newest snapshot of an instance: its age (from the transaction id's time) and size on disk. */
export async function lastSnapshot(stateDir: string, instance: string): Promise<InstanceStatus['lastSnapshot']> {
  const dir = join(stateDir, 'snapshots', instance);
  const txid = newestSnapshot(await readdir(dir).catch(() => [] as string[]));
  if (!txid) return undefined;
  let size = 0;
  const walk = async (path: string): Promise<void> => {
    const s = await stat(path).catch(() => undefined);
    if (!s) return;
    if (s.isDirectory()) for (const n of await readdir(path).catch(() => [] as string[])) await walk(join(path, n));
    else size += s.size;
  };
  await walk(join(dir, txid));
  return snapshotStatus(txid, size);
}

/**
 * The same for an instance reached over SSH, whose snapshots are written on its own host: read
 * there, at check time (a status request must not open SSH connections).
 */
export async function lastSnapshotOn(host: Host, stateDir: string, instance: string): Promise<InstanceStatus['lastSnapshot']> {
  const dir = join(stateDir, 'snapshots', instance);
  const txid = newestSnapshot(await host.listDir(dir).catch(() => [] as string[]));
  if (!txid) return undefined;
  const du = await host.run({ file: 'du', args: ['-s', '-b', '--', join(dir, txid)], reject: false });
  return snapshotStatus(txid, Number(/^\d+/.exec(du.stdout)?.[0] ?? 0));
}

function newestSnapshot(names: readonly string[]): string | undefined {
  return names.filter((n) => /^\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(n)).sort().at(-1);
}

function snapshotStatus(txid: string, sizeBytes: number): NonNullable<InstanceStatus['lastSnapshot']> {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(txid)!;
  const taken = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return { txid, ageSeconds: Math.max(0, Math.round((Date.now() - taken) / 1000)), sizeBytes };
}
