import { randomBytes } from 'node:crypto';
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import type { Host } from '../hosts/host.js';
import { strategies } from '../../strategies/registry.js';
import type { ProgressEvent, RunContext } from './context.js';
import { appendHistory } from './history.js';
import { openJournal } from './journal.js';
import type { RunSummary } from './journal-types.js';
import { acquireLock } from './lock.js';
import { pruneByRetention, tidyWorkArea } from './retention.js';
import { runStages } from './runner.js';
import { STAGES } from './stage-table.js';
import { UndoStack } from './undo-stack.js';
import { NcupdError } from '../errors/ncupd-error.js';

export interface UpdateOptions {
  readonly host: Host;
  readonly config: NcupdConfig;
  readonly instance: InstanceConfig;
  readonly dryRun?: boolean;
  readonly emit?: (event: ProgressEvent) => void;
  readonly signal?: AbortSignal;
  /** Tests: a fake system root for install-type markers. */
  readonly sysroot?: string;
}

export function newTxid(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** One update of one instance as a transaction, under the instance lock, journaled. */
export async function runUpdate(options: UpdateOptions): Promise<RunSummary> {
  const { config, instance, host } = options;
  const strategy = strategies[instance.strategy];
  if (!strategy) throw new NcupdError('NCUPD_CONFIG_INVALID', { detail: `unknown strategy ${instance.strategy}` });
  const txid = newTxid();
  const startedAt = new Date().toISOString();
  const emit = options.emit ?? (() => undefined);
  const lock = await acquireLock(config.stateDir, instance.name, { txid, command: options.dryRun ? 'ncupd now --dry-run' : 'ncupd now' });
  if (lock.tookOverFrom) emit({ type: 'note', message: `took over the stale lock of pid ${lock.tookOverFrom.pid} (transaction ${lock.tookOverFrom.txid})` });
  let journal: Awaited<ReturnType<typeof openJournal>> | undefined;
  try {
    journal = await openJournal(config.stateDir, instance.name, txid);
    const ctx: RunContext = {
      txid, host, config, instance, strategy, journal, undo: new UndoStack(), signal: options.signal ?? new AbortController().signal,
      dryRun: options.dryRun ?? false, secrets: [], emit, state: {}, sysroot: options.sysroot,
    };
    const outcome = await runStages(ctx, STAGES);
    if (outcome.result === 'updated') {
      await tidyWorkArea(ctx);
      const pruned = await pruneByRetention(ctx);
      if (pruned.length > 0) emit({ type: 'note', message: `retention: removed ${pruned.length} old snapshot(s) and code tree(s)` });
    }
    const summary: RunSummary = { txid, instance: instance.name, startedAt, endedAt: new Date().toISOString(), ...outcome };
    await journal.append({ type: 'end', data: { result: summary.result } });
    await appendHistory(config.stateDir, summary);
    return summary;
  } finally {
    await journal?.close();
    await lock.release();
  }
}
