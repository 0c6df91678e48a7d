import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { RunningProcess } from '../../../daemon/hosts/host.js';
import type { LockHolder } from '../../../daemon/engine/journal-types.js';
import { acquireLock, currentProcessIdentity, lockPath, parseProcStat, processStartTime, readLock } from '../../../daemon/engine/lock.js';

const locked = (e: unknown) => isNcupdError(e, 'NCUPD_LOCKED');
const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** Writes a lock as another ncupd process would have left it. */
async function plantLock(stateDir: string, instance: string, holder: Partial<LockHolder> & { pid: number }, content?: string): Promise<string> {
  const dir = lockPath(stateDir, instance);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const full: LockHolder = { startTime: processStartTime(holder.pid) ?? 1, bootId, txid: 'tx-other', command: 'ncupd now', since: '2025-01-01T00:00:00.000Z', ...holder };
  const file = join(dir, 'holder-planted.json');
  await writeFile(file, content ?? JSON.stringify(full));
  return file;
}

describe('instance lock', () => {
  const host = createLocalHost();
  let stateDir: string;
  let child: RunningProcess | undefined;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'ncupd-lock-'));
  });
  afterEach(async () => {
    await child?.stop(0);
    child = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });
  const startSleeper = (): number => {
    child = host.start({ file: 'sleep', args: ['30'] });
    assert.ok(child.pid);
    return child.pid;
  };

  it('reads the start time after the last ")" of /proc/<pid>/stat (comm may hold spaces and parentheses)', () => {
    const rest = ['S', ...Array.from({ length: 18 }, (_, i) => String(i + 4)), '4242', '99'].join(' ');
    assert.deepEqual(parseProcStat(`123 (a) (b c)) ${rest}`), { state: 'S', startTime: 4242 });
    assert.equal(parseProcStat('garbage'), undefined);
    const self = currentProcessIdentity();
    assert.equal(self.pid, process.pid);
    assert.equal(self.bootId, bootId);
    assert.ok(self.startTime > 0);
  });

  it('takes a free lock (0700 directory) and refuses a second acquire while held, naming pid and transaction', async () => {
    const lock = await acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' });
    assert.equal(lock.path, join(stateDir, 'locks', 'cloud.lock'));
    assert.equal(lock.tookOverFrom, undefined);
    assert.equal((await stat(join(stateDir, 'locks'))).mode & 0o777, 0o700);
    assert.deepEqual({ ...lock.holder, since: '' }, { ...currentProcessIdentity(), txid: 'tx-1', command: 'ncupd now', since: '' });
    await assert.rejects(acquireLock(stateDir, 'cloud', { txid: 'tx-2', command: 'ncupd now' }),
      (e) => locked(e) && e.message.includes(`pid ${process.pid}`) && e.message.includes('tx-1') && e.instance === 'cloud');
    const status = await readLock(stateDir, 'cloud');
    assert.equal(status?.alive, true);
    assert.equal(status?.holder?.txid, 'tx-1');
    const other = await acquireLock(stateDir, 'other', { txid: 'tx-3', command: 'ncupd now' });
    await Promise.all([lock.release(), other.release()]);
    assert.deepEqual((await readdir(join(stateDir, 'locks'))).sort(), []);
  });

  it('refuses a lock held by another live process, and takes it over once that process has ended', async () => {
    const pid = startSleeper();
    await plantLock(stateDir, 'cloud', { pid, txid: 'tx-sleeper' });
    await assert.rejects(acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' }),
      (e) => locked(e) && e.message.includes(`pid ${pid}`) && e.message.includes('tx-sleeper'));
    await child?.stop(0);
    assert.equal((await readLock(stateDir, 'cloud'))?.alive, false);
    const lock = await acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' });
    assert.equal(lock.tookOverFrom?.pid, pid);
    assert.equal(lock.tookOverFrom?.txid, 'tx-sleeper');
    assert.ok(lock.staleReason);
    assert.equal((await readLock(stateDir, 'cloud'))?.holder?.txid, 'tx-1');
    await lock.release();
  });

  it('treats a live pid with another start time (pid reused) as stale', async () => {
    const pid = startSleeper();
    await plantLock(stateDir, 'cloud', { pid, startTime: (processStartTime(pid) ?? 0) + 1 });
    const lock = await acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' });
    assert.equal(lock.tookOverFrom?.pid, pid);
    await lock.release();
  });

  it('treats a lock from another boot as stale, even if its pid and start time match a live process', async () => {
    const pid = startSleeper();
    await plantLock(stateDir, 'cloud', { pid, bootId: '00000000-0000-0000-0000-000000000000' });
    const lock = await acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' });
    assert.equal(lock.tookOverFrom?.bootId, '00000000-0000-0000-0000-000000000000');
    await lock.release();
  });

  it('lets exactly one of two racing acquires take over a stale lock', async () => {
    await plantLock(stateDir, 'cloud', { pid: process.pid, startTime: 1 });
    const results = await Promise.allSettled([1, 2].map((n) => acquireLock(stateDir, 'cloud', { txid: `tx-${n}`, command: 'ncupd now' })));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    assert.ok(results.some((r) => r.status === 'rejected' && locked(r.reason)));
    await won[0]?.value.release();
  });

  it('lets exactly one of several racing processes take over a stale lock', async () => {
    await plantLock(stateDir, 'cloud', { pid: process.pid, startTime: 1 });
    const lockModule = new URL('../../../daemon/engine/lock.js', import.meta.url).href;
    const script = `
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      while (Date.now() < Number(process.env.START_AT)); // all start together
      try {
        const lock = await acquireLock(process.env.STATE_DIR, 'cloud', { txid: 'tx-' + process.pid, command: 'race' });
        console.log('won');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await lock.release();
      } catch (error) {
        console.log(error.code);
      }`;
    const env = { STATE_DIR: stateDir, START_AT: String(Date.now() + 1500) };
    const outcomes = await Promise.all(Array.from({ length: 6 }, () =>
      host.run({ file: process.execPath, args: ['--input-type=module', '-e', script], env, timeoutMs: 30000 })));
    const lines = outcomes.map((r) => r.stdout.trim()).sort();
    assert.deepEqual(lines, ['NCUPD_LOCKED', 'NCUPD_LOCKED', 'NCUPD_LOCKED', 'NCUPD_LOCKED', 'NCUPD_LOCKED', 'won']);
    assert.equal(await readLock(stateDir, 'cloud'), undefined);
  });

  it('takes over an unreadable lock once it is a few seconds old, and waits while it is fresh', async () => {
    const file = await plantLock(stateDir, 'cloud', { pid: process.pid }, '{"pid": 12');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const lock = await acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' });
    assert.equal(lock.tookOverFrom, undefined);
    assert.match(lock.staleReason ?? '', /unreadable/);
    await lock.release();

    await plantLock(stateDir, 'cloud', { pid: process.pid }, '');
    const started = Date.now();
    const waited = await acquireLock(stateDir, 'cloud', { txid: 'tx-2', command: 'ncupd now', garbledGraceMs: 400 });
    assert.ok(Date.now() - started >= 350, 'waited for the writer');
    await waited.release();
  });

  it('refuses when a fresh unreadable lock turns out to be a live holder still writing', async () => {
    const pid = startSleeper();
    const file = await plantLock(stateDir, 'cloud', { pid }, '');
    setTimeout(() => void writeFile(file, JSON.stringify({ pid, startTime: processStartTime(pid), bootId, txid: 'tx-w', command: 'ncupd now', since: 'now' })), 150);
    await assert.rejects(acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now', garbledGraceMs: 2000 }), locked);
  });

  it('releases idempotently, and never removes a lock that is no longer its own', async () => {
    const lock = await acquireLock(stateDir, 'cloud', { txid: 'tx-1', command: 'ncupd now' });
    await lock.release();
    await lock.release();
    assert.equal(await readLock(stateDir, 'cloud'), undefined);

    const second = await acquireLock(stateDir, 'cloud', { txid: 'tx-2', command: 'ncupd now' });
    // Someone judged us dead and took over: our holder file is gone, theirs is in place.
    for (const name of await readdir(second.path)) await unlink(join(second.path, name));
    const pid = startSleeper();
    await plantLock(stateDir, 'cloud', { pid, txid: 'tx-theirs' });
    await second.release();
    const status = await readLock(stateDir, 'cloud');
    assert.equal(status?.holder?.txid, 'tx-theirs');
    assert.equal(status?.alive, true);
  });
});
