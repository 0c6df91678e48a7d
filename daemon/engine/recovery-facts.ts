// What recovery needs to finish or undo a transaction after a crash, beyond the journal's own
// records: the versions, the database (never its password: that is read again from config.php),
// and the baselines the restored instance is checked against. One file per transaction beside its
// journal, written once after preflight (tmp, fsync, rename, fsync of the folder).
import { constants } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseTarget } from '../snapshots/database/method.js';
import type { DataMethodId } from '../snapshots/data/method.js';
import type { IntegrityReport } from '../../integrity/checks/check.js';
import { assertSafeName, errorText, journalError, syncDir } from './journal.js';

export interface RecoveryFacts {
  readonly fromVersion: string;
  readonly targetVersion: string;
  readonly snapshotDir: string;
  readonly database: Omit<DatabaseTarget, 'credentials'>;
  readonly integrityBaseline: IntegrityReport | undefined;
  readonly appsBefore: Record<string, { shipped: boolean }>;
  readonly workDir: string | undefined;
  readonly oldRoot: string | undefined;
  /** Which data-snapshot method the run uses and where (absent in facts of older versions). */
  readonly dataSnapshot?: { readonly method: DataMethodId; readonly dataDir: string; readonly home: string };
}

export function factsPath(stateDir: string, instance: string, txid: string): string {
  assertSafeName('instance', instance);
  assertSafeName('transaction id', txid);
  return join(stateDir, 'journal', instance, `${txid}.facts.json`);
}

export async function writeFacts(stateDir: string, instance: string, txid: string, facts: RecoveryFacts): Promise<string> {
  const path = factsPath(stateDir, instance, txid);
  const temporary = `${path}.tmp`;
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    try {
      // A leftover temporary file keeps its old mode through O_TRUNC: set 0600 explicitly.
      await handle.chmod(0o600);
      await handle.writeFile(`${JSON.stringify(facts)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    await syncDir(join(stateDir, 'journal', instance));
  } catch (error) {
    throw journalError(`could not write the recovery facts ${path}: ${errorText(error)}`, error);
  }
  return path;
}

export async function readFacts(stateDir: string, instance: string, txid: string): Promise<RecoveryFacts | undefined> {
  const path = factsPath(stateDir, instance, txid);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw journalError(`could not read the recovery facts ${path}: ${errorText(error)}`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw journalError(`the recovery facts ${path} are not JSON: ${errorText(error)}`, error);
  }
  const facts = parsed as Partial<RecoveryFacts> | null;
  if (typeof facts !== 'object' || facts === null || typeof facts.fromVersion !== 'string' || typeof facts.targetVersion !== 'string'
    || typeof facts.snapshotDir !== 'string' || typeof facts.database !== 'object' || facts.database === null) {
    throw journalError(`the recovery facts ${path} are not recovery facts (versions, snapshot folder or database missing)`);
  }
  return facts as RecoveryFacts;
}
