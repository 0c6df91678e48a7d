// The transaction journal (shared/design.md, "Crash safety"; issues 4 and 5): one JSON line per
// record, durable before append() resolves, so recovery may act on every line it reads.
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NcupdError } from '../errors/ncupd-error.js';
import type { JournalRecord } from './journal-types.js';

/** Recovery needs paths and snapshot ids, not payloads: a record this large is a bug, refused before writing. */
export const MAX_RECORD_DATA_BYTES = 64 * 1024;

const RECORD_TYPES: ReadonlySet<string> = new Set<JournalRecord['type']>(
  ['begin', 'intent', 'done', 'failed', 'undo-push', 'undo-intent', 'undo-done', 'undo-failed', 'facts', 'wait', 'recover', 'commit', 'end']);

/** Where the unreadable tail of a journal starts (a write cut short by a crash), in bytes. */
export interface TornTail {
  readonly offset: number;
  readonly length: number;
}

export interface JournalContents {
  readonly records: JournalRecord[];
  /** Set when the last line was cut short by a crash: it was never acknowledged, so it is ignored. */
  readonly tornTail: TornTail | undefined;
}

export interface Journal {
  readonly path: string;
  /** The torn tail a crashed writer left, cut off when this journal was reopened; for the caller to log. */
  readonly repairedTail: TornTail | undefined;
  append(record: Omit<JournalRecord, 'seq' | 'at'>): Promise<JournalRecord>;
  records(): Promise<JournalRecord[]>;
  close(): Promise<void>;
}

export interface UnfinishedTransaction extends JournalContents {
  readonly instance: string;
  readonly txid: string;
  readonly path: string;
}

// The state directory's file rules, shared by the journal, the history and the lock.

export function journalError(detail: string, cause?: unknown): NcupdError {
  return new NcupdError('NCUPD_JOURNAL_FAILED', { detail, cause });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Instance names and transaction ids become one path component: no separators, no dot-names. */
export function assertSafeName(kind: string, name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw journalError(`unusable ${kind} for a state file name: ${JSON.stringify(name)}`);
}

/** fsync of a directory makes the entries created or removed in it survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces a small root-only JSON state file in `stateDir` atomically: temp file (0600, no symlink
 * followed), fsync, rename, fsync of the folder. A crash leaves the old or the new file, never a torn one.
 */
export async function writeStateFileAtomically(stateDir: string, path: string, value: unknown): Promise<void> {
  const temp = `${path}.tmp`;
  try {
    await ensurePrivateDir(stateDir);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDir(stateDir);
  } catch (error) {
    throw journalError(`could not write ${path}: ${errorText(error)}`, error);
  }
}

/** Creates missing directories 0700 (root only, whatever the umask), each made durable in its parent. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw error;
    await ensurePrivateDir(dirname(dir));
    return ensurePrivateDir(dir);
  }
  await chmod(dir, 0o700);
  await syncDir(dirname(dir));
}

/** Opens a state file 0600, creating it if absent; never through a symlink, since root writes here. */
export async function openCreating(path: string, flags: number): Promise<{ handle: FileHandle; created: boolean }> {
  try {
    const handle = await open(path, flags | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await handle.chmod(0o600);
    return { handle, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { handle: await open(path, flags | constants.O_NOFOLLOW), created: false };
  }
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return Number.isInteger(record.seq) && typeof record.at === 'string' && typeof record.type === 'string' && RECORD_TYPES.has(record.type)
    && (record.step === undefined || typeof record.step === 'string')
    && (record.data === undefined || (typeof record.data === 'object' && record.data !== null));
}

/**
 * Only the last line can be torn: every earlier one was fdatasync'ed before the next was written.
 * A torn line may lack its newline, or (pages written out of order at a power cut) hold zeros.
 * Anything unreadable before the last line is corruption, reported rather than guessed around.
 */
export function parseJournal(bytes: Buffer, path: string): JournalContents {
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    const end = newline === -1 ? bytes.length : newline + 1;
    let parsed: unknown;
    try {
      parsed = newline === -1 ? undefined : JSON.parse(bytes.subarray(offset, newline).toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const previous = records.at(-1);
    if (isRecord(parsed) && (previous === undefined || parsed.seq > previous.seq)) {
      records.push(parsed);
    } else if (end === bytes.length) {
      return { records, tornTail: { offset, length: end - offset } };
    } else {
      throw journalError(`journal ${path} is corrupt at byte ${offset} (line ${records.length + 1}), before its last line`);
    }
    offset = end;
  }
  return { records, tornTail: undefined };
}

export async function scanJournal(path: string): Promise<JournalContents> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw journalError(`could not read journal ${path}: ${errorText(error)}`, error);
  }
  return parseJournal(bytes, path);
}

export async function readJournal(path: string): Promise<JournalRecord[]> {
  return (await scanJournal(path)).records;
}

export function isFinished(records: readonly JournalRecord[]): boolean {
  return records.at(-1)?.type === 'end';
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  // O_APPEND: each write lands at the end; a short write (disk full) is continued, then fails.
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done);
    if (bytesWritten === 0) throw new Error('the file system accepted no bytes');
    done += bytesWritten;
  }
}

/** Opens (or reopens, for recovery) the journal of one transaction; appends continue its seq numbers. */
export async function openJournal(stateDir: string, instance: string, txid: string): Promise<Journal> {
  assertSafeName('instance', instance);
  assertSafeName('transaction id', txid);
  const dir = join(stateDir, 'journal', instance);
  const path = join(dir, `${txid}.jsonl`);
  let handle: FileHandle | undefined;
  let contents: JournalContents = { records: [], tornTail: undefined };
  try {
    await ensurePrivateDir(dir);
    const opened = await openCreating(path, constants.O_RDWR | constants.O_APPEND);
    handle = opened.handle;
    if (opened.created) {
      await syncDir(dir);
    } else {
      contents = parseJournal(await handle.readFile(), path);
      // The torn line was never acknowledged; cut it so the next line does not glue onto it.
      if (contents.tornTail) {
        await handle.truncate(contents.tornTail.offset);
        await handle.datasync();
      }
    }
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (error instanceof NcupdError) throw error;
    throw journalError(`could not open journal ${path}: ${errorText(error)}`, error);
  }
  return createJournal(path, handle, contents);
}

function createJournal(path: string, handle: FileHandle, contents: JournalContents): Journal {
  let nextSeq = (contents.records.at(-1)?.seq ?? 0) + 1;
  let chain: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  // After a failed write the file may end in a partial line: no further line may follow it.
  let broken: unknown;

  async function write(input: Omit<JournalRecord, 'seq' | 'at'>): Promise<JournalRecord> {
    const what = `${input.type}${input.step ? ` ${input.step}` : ''}`;
    if (broken !== undefined) throw journalError(`journal ${path} failed earlier; cannot append ${what}`, broken);
    let line: string;
    try {
      const dataBytes = input.data === undefined ? 0 : Buffer.byteLength(JSON.stringify(input.data));
      if (dataBytes > MAX_RECORD_DATA_BYTES) {
        throw journalError(`journal data of ${what} is ${dataBytes} bytes, more than the ${MAX_RECORD_DATA_BYTES} allowed`);
      }
      const record: JournalRecord = { seq: nextSeq, at: new Date().toISOString(), type: input.type, step: input.step, data: input.data };
      line = `${JSON.stringify(record)}\n`;
    } catch (error) {
      if (error instanceof NcupdError) throw error;
      throw journalError(`journal data of ${what} cannot be written as JSON: ${errorText(error)}`, error);
    }
    try {
      await writeAll(handle, Buffer.from(line));
      await handle.datasync();
    } catch (error) {
      broken = error;
      throw journalError(`could not write ${what} to journal ${path}: ${errorText(error)}`, error);
    }
    nextSeq += 1;
    return Object.freeze(JSON.parse(line) as JournalRecord);
  }

  return {
    path,
    repairedTail: contents.tornTail,
    append(record) {
      // Checked at call time: appends queued before close() still complete.
      if (closing) return Promise.reject(journalError(`journal ${path} is closed; cannot append ${record.type}`));
      const written = chain.then(() => write(record));
      chain = written.catch(() => undefined);
      return written;
    },
    async records() {
      await chain;
      return readJournal(path);
    },
    close() {
      closing ??= chain.then(() => handle.close());
      return closing;
    },
  };
}

async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw journalError(`could not list ${dir}: ${errorText(error)}`, error);
  }
}

/** Journals whose last record is not `end` (including empty ones), oldest first: what recovery must finish or undo. */
export async function listUnfinishedTransactions(stateDir: string, instance?: string): Promise<UnfinishedTransaction[]> {
  if (instance !== undefined) assertSafeName('instance', instance);
  const root = join(stateDir, 'journal');
  const instances = instance === undefined ? await listNames(root) : [instance];
  const unfinished: UnfinishedTransaction[] = [];
  for (const name of instances) {
    for (const file of await listNames(join(root, name))) {
      if (!file.endsWith('.jsonl')) continue;
      const path = join(root, name, file);
      const contents = await scanJournal(path);
      if (!isFinished(contents.records)) unfinished.push({ instance: name, txid: file.slice(0, -'.jsonl'.length), path, ...contents });
    }
  }
  const begun = (tx: UnfinishedTransaction) => tx.records[0]?.at ?? '';
  return unfinished.sort((a, b) => begun(a).localeCompare(begun(b)) || a.txid.localeCompare(b.txid));
}
