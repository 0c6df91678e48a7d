// Run history: one RunSummary per line in <stateDir>/history.jsonl, read by `ncupd history` and
// status (shared/design.md, "Observability": every run ends with one summary record).
import { constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSummary } from './journal-types.js';
import { ensurePrivateDir, errorText, journalError, openCreating, syncDir } from './journal.js';

export interface ReadHistoryOptions {
  readonly instance?: string;
  /** At most this many summaries, the newest. */
  readonly limit?: number;
}

export function historyPath(stateDir: string): string {
  return join(stateDir, 'history.jsonl');
}

/** Appends one summary and makes it durable. Each line is one write(2) with O_APPEND, so parallel runs do not interleave. */
export async function appendHistory(stateDir: string, summary: RunSummary): Promise<void> {
  const path = historyPath(stateDir);
  try {
    await ensurePrivateDir(stateDir);
    const { handle, created } = await openCreating(path, constants.O_RDWR | constants.O_APPEND);
    try {
      // A crash may have left a torn last line: start on a fresh line so this record stays readable.
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const prefix = size > 0 && last[0] !== 0x0a ? '\n' : '';
      const line = Buffer.from(`${prefix}${JSON.stringify(summary)}\n`);
      const { bytesWritten } = await handle.write(line);
      if (bytesWritten !== line.length) throw new Error(`short write: ${bytesWritten} of ${line.length} bytes`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    if (created) await syncDir(stateDir);
  } catch (error) {
    throw journalError(`could not append to the run history ${path}: ${errorText(error)}`, error);
  }
}

function isRunSummary(value: unknown): value is RunSummary {
  if (typeof value !== 'object' || value === null) return false;
  const summary = value as Record<string, unknown>;
  return ['txid', 'instance', 'result', 'from', 'startedAt', 'endedAt'].every((key) => typeof summary[key] === 'string')
    && Array.isArray(summary.stages);
}

function parseLine(line: string): RunSummary | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRunSummary(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Newest first (the file is in the order runs ended). Unreadable lines are skipped: only a torn
 * line of a crash can be one, and history informs, it does not drive recovery.
 */
export async function readHistory(stateDir: string, options: ReadHistoryOptions = {}): Promise<RunSummary[]> {
  const path = historyPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw journalError(`could not read the run history ${path}: ${errorText(error)}`, error);
  }
  const summaries = text.split('\n').map(parseLine)
    .filter((summary): summary is RunSummary => summary !== undefined && (options.instance === undefined || summary.instance === options.instance))
    .reverse();
  return options.limit === undefined ? summaries : summaries.slice(0, Math.max(0, options.limit));
}
