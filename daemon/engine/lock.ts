// One transaction per instance (shared/design.md, "One transaction per instance"; issue 5): a lock
// that survives a crash and is judged stale by boot id, pid and process start time, never by age.
//
// <stateDir>/locks/<instance>.lock is a DIRECTORY holding one holder-<unique>.json. A single lock
// file cannot be taken over safely: "remove it if it is still the stale one" is not one system
// call, so a slow second taker could remove the lock a first taker has just created. Here each
// step is conditional in the kernel:
// - acquire renames a complete temp directory onto the lock path; rename fails on a non-empty one;
// - take-over unlinks the stale holder file by its unique name (only one taker can), then rmdir,
//   which fails if someone has already renamed a new lock into place.
// No fsync: after a power cut the boot id differs, so every lock from before is stale anyway.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NcupdError } from '../errors/ncupd-error.js';
import type { LockHolder } from './journal-types.js';
import { assertSafeName, ensurePrivateDir, errorText, journalError } from './journal.js';

/** A garbled lock younger than this may be mid-write by someone else; older, it is stale. */
const GARBLED_GRACE_MS = 3000;
const RETRY_MS = 50;
/** Every attempt wins, refuses, or saw the lock change under it: a bound against livelock only. */
const MAX_ATTEMPTS = 100;

export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: number;
  readonly bootId: string;
}

export interface AcquireLockOptions {
  readonly txid: string;
  readonly command: string;
  /** How long a garbled lock counts as being written; tests shorten it. */
  readonly garbledGraceMs?: number;
}

export interface InstanceLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The dead holder whose lock was taken over, for the caller's log line. */
  readonly tookOverFrom?: LockHolder;
  /** Why the previous lock was stale (also set for an unreadable lock, which has no holder). */
  readonly staleReason?: string;
  release(): Promise<void>;
}

export interface LockStatus {
  readonly path: string;
  readonly holder: LockHolder | undefined;
  readonly alive: boolean;
  readonly reason: string;
}

/** State and start time from /proc/<pid>/stat. comm (field 2) may hold spaces and ')': fields resume after the LAST ')'. */
export function parseProcStat(text: string): { state: string; startTime: number } | undefined {
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTime = Number(fields[19]); // fields[0] is field 3, so field 22 (starttime) is fields[19]
  return state && Number.isSafeInteger(startTime) ? { state, startTime } : undefined;
}

function readProcStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function processStartTime(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

export function currentProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid);
  if (startTime === undefined) throw journalError(`cannot read /proc/${process.pid}/stat: a lock needs /proc`);
  return { pid: process.pid, startTime, bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() };
}

function judgeHolder(holder: LockHolder, self: ProcessIdentity): { alive: boolean; reason: string } {
  if (holder.bootId !== self.bootId) return { alive: false, reason: `taken before a reboot (boot id ${holder.bootId})` };
  const proc = readProcStat(holder.pid);
  if (!proc) return { alive: false, reason: `pid ${holder.pid} is gone` };
  if (proc.state === 'Z' || proc.state === 'X') return { alive: false, reason: `pid ${holder.pid} has exited` };
  if (proc.startTime !== holder.startTime) return { alive: false, reason: `pid ${holder.pid} now belongs to another process` };
  return { alive: true, reason: `pid ${holder.pid} is running` };
}

function isLockHolder(value: unknown): value is LockHolder {
  if (typeof value !== 'object' || value === null) return false;
  const holder = value as Record<string, unknown>;
  return Number.isSafeInteger(holder.pid) && Number.isSafeInteger(holder.startTime)
    && ['bootId', 'txid', 'command', 'since'].every((key) => typeof holder[key] === 'string');
}

export function lockPath(stateDir: string, instance: string): string {
  return join(stateDir, 'locks', `${instance}.lock`);
}

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

type Found =
  | { readonly kind: 'free' }
  | { readonly kind: 'held'; readonly file: string; readonly holder: LockHolder }
  /** `file` is what a take-over may remove; undefined when the directory holds something unexpected. */
  | { readonly kind: 'unreadable'; readonly file: string | undefined; readonly ageMs: number };

async function ageOf(path: string): Promise<number> {
  return Date.now() - (await stat(path)).mtimeMs;
}

async function inspectLock(path: string): Promise<Found> {
  try {
    let names: string[];
    try {
      names = await readdir(path);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return { kind: 'free' };
      // A plain file was not written by this code; unlinking it by the fixed name is still safe: unlink never removes a directory.
      if (errnoOf(error) === 'ENOTDIR') return { kind: 'unreadable', file: path, ageMs: await ageOf(path) };
      throw error;
    }
    // Empty: a take-over was cut short between unlink and rmdir; rename replaces an empty directory.
    if (names.length === 0) return { kind: 'free' };
    const name = names[0];
    if (names.length > 1 || !name?.startsWith('holder-')) return { kind: 'unreadable', file: undefined, ageMs: await ageOf(path) };
    const file = join(path, name);
    let holder: unknown;
    try {
      holder = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
    return isLockHolder(holder) ? { kind: 'held', file, holder } : { kind: 'unreadable', file, ageMs: await ageOf(file) };
  } catch (error) {
    // The holder released or was taken over while we looked.
    if (errnoOf(error) === 'ENOENT') return { kind: 'free' };
    throw journalError(`could not read the lock ${path}: ${errorText(error)}`, error);
  }
}

/** Removes a stale lock only if `file` is still there; false when another taker or the holder got there first. */
async function removeStale(path: string, file: string): Promise<boolean> {
  try {
    await unlink(file);
  } catch (error) {
    if (['ENOENT', 'EISDIR'].includes(errnoOf(error) ?? '')) return false;
    throw journalError(`could not remove the stale lock ${file}: ${errorText(error)}`, error);
  }
  await rmdir(path).catch((error: unknown) => {
    // Non-empty: a new lock was renamed onto the emptied directory already; that is its lock now.
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(errnoOf(error) ?? '')) throw error;
  });
  return true;
}

async function renameInto(temp: string, path: string): Promise<boolean> {
  try {
    await rename(temp, path);
    return true;
  } catch (error) {
    if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(errnoOf(error) ?? '')) return false;
    throw journalError(`could not create the lock ${path}: ${errorText(error)}`, error);
  }
}

function lockedError(instance: string, holder: LockHolder): NcupdError {
  return new NcupdError('NCUPD_LOCKED', {
    instance,
    detail: `instance ${instance} is locked by pid ${holder.pid} (transaction ${holder.txid}, ${holder.command}, since ${holder.since})`,
  });
}

/** Takes the instance's lock, or throws NCUPD_LOCKED naming the live holder; a dead holder's lock is taken over. */
export async function acquireLock(stateDir: string, instance: string, options: AcquireLockOptions): Promise<InstanceLock> {
  assertSafeName('instance', instance);
  const dir = join(stateDir, 'locks');
  const path = lockPath(stateDir, instance);
  const self = currentProcessIdentity();
  const holder: LockHolder = { ...self, txid: options.txid, command: options.command, since: new Date().toISOString() };
  const name = `holder-${self.pid}-${self.startTime}-${randomBytes(8).toString('hex')}.json`;
  const temp = join(dir, `.${instance}.${name}.tmp`);
  try {
    await ensurePrivateDir(dir);
    await mkdir(temp, { mode: 0o700 });
    await writeFile(join(temp, name), `${JSON.stringify(holder)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw journalError(`could not prepare the lock of ${instance} in ${dir}: ${errorText(error)}`, error);
  }
  try {
    const grace = options.garbledGraceMs ?? GARBLED_GRACE_MS;
    let takeOver: { from?: LockHolder; reason: string } | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (await renameInto(temp, path)) return createLock(path, join(path, name), holder, takeOver);
      const found = await inspectLock(path);
      if (found.kind === 'free') continue;
      if (found.kind === 'held') {
        const verdict = judgeHolder(found.holder, self);
        if (verdict.alive) throw lockedError(instance, found.holder);
        if (await removeStale(path, found.file)) takeOver = { from: found.holder, reason: verdict.reason };
      } else if (found.ageMs < grace) {
        attempt -= 1; // waiting for a writer is bounded by the grace period, not by attempts
        await sleep(RETRY_MS);
      } else if (found.file === undefined) {
        throw new NcupdError('NCUPD_LOCKED', { instance, detail: `the lock ${path} holds unexpected entries`, hint: `Check that no ncupd runs for ${instance}, then remove ${path}.` });
      } else if (await removeStale(path, found.file)) {
        takeOver = { reason: `unreadable lock, ${Math.round(found.ageMs / 1000)} s old` };
      }
    }
    throw new NcupdError('NCUPD_LOCKED', { instance, detail: `instance ${instance}: the lock kept changing during ${MAX_ATTEMPTS} attempts` });
  } finally {
    // Gone already when the rename won; otherwise ours to remove (never anything else).
    await unlink(join(temp, name)).catch(() => undefined);
    await rmdir(temp).catch(() => undefined);
  }
}

function createLock(path: string, file: string, holder: LockHolder, takeOver: { from?: LockHolder; reason: string } | undefined): InstanceLock {
  let releasing: Promise<void> | undefined;
  const lock: InstanceLock = {
    path,
    holder,
    ...(takeOver?.from && { tookOverFrom: takeOver.from }),
    ...(takeOver && { staleReason: takeOver.reason }),
    release() {
      releasing ??= releaseIfOurs(path, file, holder).catch((error: unknown) => {
        releasing = undefined; // a failed release may be retried
        throw error;
      });
      return releasing;
    },
  };
  return lock;
}

/** Removes the lock only while it is still ours: a holder judged dead may have been taken over. */
async function releaseIfOurs(path: string, file: string, holder: LockHolder): Promise<void> {
  try {
    let current: unknown;
    try {
      current = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || error instanceof SyntaxError) return;
      throw error;
    }
    if (!isLockHolder(current) || current.pid !== holder.pid || current.startTime !== holder.startTime || current.txid !== holder.txid) return;
    await unlink(file);
    await rmdir(path).catch((error: unknown) => {
      if (!['ENOENT', 'ENOTEMPTY'].includes(errnoOf(error) ?? '')) throw error;
    });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw journalError(`could not release the lock ${path}: ${errorText(error)}`, error);
  }
}

/** For status displays: who holds the instance's lock and whether that process still runs; undefined when free. */
export async function readLock(stateDir: string, instance: string): Promise<LockStatus | undefined> {
  assertSafeName('instance', instance);
  const path = lockPath(stateDir, instance);
  const found = await inspectLock(path);
  if (found.kind === 'free') return undefined;
  if (found.kind === 'held') return { path, holder: found.holder, ...judgeHolder(found.holder, currentProcessIdentity()) };
  return { path, holder: undefined, alive: found.ageMs < GARBLED_GRACE_MS, reason: 'unreadable lock' };
}
