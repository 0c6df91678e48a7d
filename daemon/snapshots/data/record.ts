// data.json in the run's snapshot folder (`<stateDir>/snapshots/<instance>/<txid>/`): the one
// record of a data snapshot that the undo step, `ncupd rollback --with-data` and retention read.
import { z } from 'zod';
import type { Host } from '../../hosts/host.js';
import { DATA_METHOD_IDS, type DataSnapshot } from './method.js';

export const DATA_RECORD_NAME = 'data.json';

const recordSchema = z.strictObject({
  method: z.enum(DATA_METHOD_IDS),
  txid: z.string(),
  dataDir: z.string(),
  location: z.string(),
  replacedAt: z.string(),
  extra: z.record(z.string(), z.string()),
  createdAt: z.string(),
  durationMs: z.number(),
  bytes: z.number(),
});

export async function writeDataRecord(host: Host, snapshotDir: string, snapshot: DataSnapshot, name = DATA_RECORD_NAME): Promise<void> {
  await host.writeFile(`${snapshotDir}/${name}`, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o600 });
}

/** The data snapshot of a run; undefined when the run took none (older runs, rollbacks without data). */
export async function readDataRecord(host: Host, snapshotDir: string, name = DATA_RECORD_NAME): Promise<DataSnapshot | undefined> {
  let text: string;
  try {
    text = (await host.readFile(`${snapshotDir}/${name}`)).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return recordSchema.parse(JSON.parse(text));
}
