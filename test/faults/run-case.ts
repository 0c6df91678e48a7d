// One case of the crash-safety matrix (issue 5), end to end: a real fixture instance, real
// databases, real php; `ncupd now` runs as its own process group under `setsid`, so a `kill` fault
// is a power cut of ncupd and every child it started. Fake: the internet (update server double).
import { instanceState } from '../helpers/instance-state.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listUnfinishedTransactions } from '../../daemon/engine/journal.js';
import type { JournalRecord } from '../../daemon/engine/journal-types.js';
import { readLock } from '../../daemon/engine/lock.js';
import { createLocalHost } from '../../daemon/hosts/local/index.js';
import type { CommandResult } from '../../daemon/hosts/host.js';
import { makeBed, type Bed } from '../daemon/engine/transaction-bed.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { transcript } from '../helpers/run-ncupd.js';
import { findLeaks } from '../helpers/secret-scan.js';
import type { FaultCase } from './fault-cases.js';

const host = createLocalHost();
const OLD = '33.0.5.1';
const NEW = '33.0.6.1';

export interface CaseOutcome {
  readonly id: string;
  readonly whole: boolean;
  /** `old` (fully back), `new` (fully updated), or what is wrong. */
  readonly ended: 'old' | 'new' | 'broken';
  /** How the transaction ended, as the last summary line said it. */
  readonly summary: string;
  /** From the fault to the transaction's `end` record, by the journal's clock. */
  readonly recoverMs: number | undefined;
  readonly problems: string[];
}

async function stateOf(bed: Bed) {
  const state = await instanceState(bed.instance);
  return { ...state, rows: JSON.stringify(state.rows), entries: state.entries.join(',') };
}

function ncupd(bed: Bed, args: string[], fault: string, log: string): Promise<CommandResult> {
  return host.run({
    file: 'setsid', args: ['--wait', process.execPath, join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js'), ...args, '--config', join(bed.work, 'config.yaml')],
    env: { NCUPD_FAULT: fault, NCUPD_FAULT_LOG: log }, reject: false, timeoutMs: 600_000,
  });
}

function journalOf(bed: Bed): JournalRecord[] {
  const dir = join(bed.work, 'state', 'journal', 'cloud');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort() : [];
  return files.length === 0 ? [] : readJournalSync(join(dir, files[files.length - 1]!));
}

function readJournalSync(path: string): JournalRecord[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as JournalRecord];
    } catch {
      return [];
    }
  });
}

/** Runs the case and checks the invariant of issue 5; never throws for a broken outcome, it reports it. */
export async function runFaultCase(c: FaultCase): Promise<CaseOutcome> {
  const bed = await makeBed({ db: c.db, strategy: c.strategy, faults: [...c.release], instance: c.instanceConfig ? { config: c.instanceConfig } : undefined });
  const logs = mkdtempSync(join(tmpdir(), 'ncupd-fault-'));
  const problems: string[] = [];
  try {
    const before = await stateOf(bed);
    const log = join(logs, 'points.log');
    const outputs: CommandResult[] = [await ncupd(bed, ['now'], c.run, log)];
    for (const fault of c.recoverFaults) outputs.push(await ncupd(bed, ['recover'], fault, log));
    outputs.push(await ncupd(bed, ['recover'], '', log));
    for (const o of outputs) transcript.push(o.command, o.stdout, o.stderr);
    if (process.env.NCUPD_FAULT_DEBUG) for (const o of outputs) process.stderr.write(`$ ${o.command}\n${o.stdout}${o.stderr}\n`);
    const fired = existsSync(log) ? readFileSync(log, 'utf8').split('\n') : [];
    for (const point of c.mustFire) if (!fired.some((line) => /^(\S+) (kill|throw)$/.exec(line)?.[1] === point)) problems.push(`the fault at ${point} never fired`);

    // The invariant (issue 5): closed journal, free lock, maintenance off, old or new as a whole.
    const unfinished = await listUnfinishedTransactions(join(bed.work, 'state'), 'cloud');
    if (unfinished.length > 0) problems.push(`transaction(s) still open: ${unfinished.map((u) => u.txid).join(', ')}`);
    const lock = await readLock(join(bed.work, 'state'), 'cloud');
    if (lock?.alive) problems.push(`the lock is still held by pid ${lock.holder?.pid ?? '?'}`);
    const status = await bed.instance.occ(['status', '--output=json']);
    const parsed = JSON.parse(status.stdout || '{}') as { version?: string; maintenance?: boolean; needsDbUpgrade?: boolean };
    if (parsed.maintenance !== false) problems.push(`maintenance mode is ${String(parsed.maintenance)}`);
    const after = await stateOf(bed);
    if (after.entries !== before.entries) problems.push(`the root's entries changed: ${after.entries}`);
    const leftovers = await host.run({ file: 'find', args: [bed.instance.root, '-name', '.ncupd*', '-o', '-name', 'updater-result'], reject: false });
    if (leftovers.stdout.trim()) problems.push(`ncupd left inside the root: ${leftovers.stdout.trim()}`);
    if (after.files !== before.files) problems.push('user files differ');
    let ended: CaseOutcome['ended'] = 'broken';
    if (parsed.version === OLD) {
      if (after.code !== before.code) problems.push('on the old version, but the code tree differs');
      if (after.config !== before.config) problems.push('on the old version, but config.php differs');
      if (after.rows !== before.rows) problems.push('on the old version, but database rows differ');
      ended = 'old';
    } else if (parsed.version === NEW) {
      if (parsed.needsDbUpgrade !== false) problems.push('on the new code, but the database needs an upgrade');
      const integrity = await bed.instance.occ(['integrity:check-core', '--output=json']);
      if (integrity.exitCode !== 0 || !['', '[]'].includes(integrity.stdout.trim())) problems.push(`integrity:check-core: ${integrity.stdout.trim().slice(0, 200)}`);
      const served = await fetch(`${bed.served.url}/status.php`).then(async (r) => ({ code: r.status, body: await r.text() })).catch((e: unknown) => ({ code: 0, body: String(e) }));
      if (served.code !== 200 || !served.body.includes(NEW)) problems.push(`status.php: ${served.code} ${served.body.slice(0, 120)}`);
      ended = 'new';
    } else {
      problems.push(`occ status says version ${String(parsed.version)} (${status.stdout.slice(0, 200)} ${status.stderr.slice(0, 200)})`);
    }
    const said = outputs.map((o) => o.stdout).join('\n').split('\n').filter((l) => /^cloud: (updated|rolled-back|failed|rollback-failed) /.test(l));
    const summary = said.at(-1) ?? '';
    if (!summary) problems.push('no summary line tells what happened');
    else if ((ended === 'new') !== /^cloud: updated /.test(summary)) problems.push(`the last summary line does not match the outcome: ${summary}`);
    // Secrets stay secret: not in any output, not in any file of the state directory (journal, facts, history, snapshots' manifests).
    const secret = bed.instance.database.password;
    const stateFiles = (await host.run({ file: 'find', args: [join(bed.work, 'state'), '-type', 'f', '-size', '-4M'], reject: false })).stdout.split('\n').filter(Boolean);
    // The snapshot's dump and its copy of config/ hold the password by nature (root-only, 0700); nothing else may.
    const holdsItByNature = (f: string) => /\/snapshots\/[^/]+\/[^/]+\/(database|config)\//.test(f);
    const texts = [...outputs.flatMap((o) => [o.stdout, o.stderr]), ...stateFiles.filter((f) => !holdsItByNature(f)).map((f) => readFileSync(f, 'latin1'))];
    if (secret && findLeaks(texts, [secret]).length > 0) problems.push('the database password reached an output or a state file');
    const records = journalOf(bed);
    const from = records.find((r) => r.type === 'failed' || r.type === 'recover');
    const end = records.find((r) => r.type === 'end');
    const recoverMs = from && end ? Date.parse(end.at) - Date.parse(from.at) : undefined;
    // A broken case carries what each command printed, so the report alone explains it.
    if (problems.length > 0) for (const o of outputs) problems.push(`$ ${o.command.replace(/^.*main\.js /, 'ncupd ')} (exit ${o.exitCode ?? o.signal})\n${(o.stdout + o.stderr).slice(-1500)}`);
    return { id: c.id, whole: problems.length === 0, ended: problems.length === 0 ? ended : 'broken', summary: summary.replace(/ \[.*$/, ''), recoverMs, problems };
  } catch (error) {
    problems.push(`the case itself failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return { id: c.id, whole: false, ended: 'broken', summary: '', recoverMs: undefined, problems };
  } finally {
    await bed.close().catch(() => undefined);
    rmSync(logs, { recursive: true, force: true });
  }
}

