// `ncupd now` when a resource runs out or goes away (issue 5): a full disk where the release is
// staged, a full state directory while the snapshot is taken, the database server stopped inside
// the window. Real: php serving the fixture, tmpfs file systems that really fill up, private
// MariaDB and PostgreSQL servers that really stop. Fake: only the internet (the update server
// double and its mirror on loopback).
import { instanceState } from '../../helpers/instance-state.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listUnfinishedTransactions } from '../../../daemon/engine/journal.js';
import type { JournalRecord, RunSummary } from '../../../daemon/engine/journal-types.js';
import type { CommandResult, RunningProcess } from '../../../daemon/hosts/host.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { privateMariadbServer, privatePostgresServer, type DatabaseServer } from '../../fixtures/harness/database-server.js';
import { startPrivateMariadb } from '../../fixtures/harness/private-mariadb.js';
import { startPrivatePostgres } from '../../fixtures/harness/private-postgres.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { parseJson, runNcupd, transcript } from '../../helpers/run-ncupd.js';
import { makeBed, type Bed, type BedOptions } from './transaction-bed.js';

const host = createLocalHost();
const MAIN = join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js');

function stateOf(bed: Bed) {
  return instanceState(bed.instance);
}

/** Read from config.php itself: occ cannot start while the database is away. */
function maintenanceOn(bed: Bed): boolean {
  return /'maintenance'\s*=>\s*true/.test(readFileSync(bed.instance.configPath, 'utf8'));
}

async function occMaintenance(bed: Bed): Promise<boolean> {
  const status = await bed.instance.occ(['status', '--output=json']);
  return (JSON.parse(status.stdout) as { maintenance: boolean }).maintenance;
}

/** What ncupd staged beside the live tree (`<parent>/.ncupd-cloud/<txid>/...`); empty txid folders aside. */
async function stagingLeft(bed: Bed): Promise<string> {
  const work = join(dirname(bed.instance.root), '.ncupd-cloud');
  return (await host.run({ file: 'find', args: [work, '-mindepth', '2'], reject: false })).stdout.trim();
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, ended?: () => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (ended?.()) throw new Error(`ncupd ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A tmpfs of its own: a file system that really fills up. Resized by remount once the fixture is on it. */
async function mountTmpfs(options: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ncupd-small-'));
  await host.run({ file: 'mount', args: ['-t', 'tmpfs', '-o', `${options},mode=0755`, 'tmpfs', dir] });
  const df = async (field: 'avail' | 'iused') => Number((await host.run({ file: 'df', args: ['-B1', `--output=${field}`, dir] })).stdout.trim().split('\n')[1]);
  return {
    dir,
    freeBytes: () => df('avail'),
    usedInodes: () => df('iused'),
    remount: (more: string) => host.run({ file: 'mount', args: ['-o', `remount,${more}`, dir] }),
    async unmount() {
      await host.run({ file: 'umount', args: [dir], reject: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `ncupd now --json` in the background, stopped at one fault point (NCUPD_FAULT pause) until `resume()`. */
function startPaused(bed: Bed, point: string) {
  const scratch = mkdtempSync(join(tmpdir(), 'ncupd-pause-'));
  const pauseFile = join(scratch, 'pause');
  const run: RunningProcess = host.start({
    file: process.execPath, args: [MAIN, 'now', '--json', '--config', join(bed.work, 'config.yaml')],
    env: { NCUPD_FAULT: `${point}=pause`, NCUPD_FAULT_PAUSE_FILE: pauseFile, NCUPD_FAULT_LOG: join(scratch, 'points.log') },
  });
  let result: CommandResult | undefined;
  void run.exited.then((r) => {
    result = r;
    transcript.push(r.command, r.stdout, r.stderr);
  });
  const ended = () => result !== undefined;
  return {
    ended,
    paused: () => waitFor(`the pause at ${point}`, () => (existsSync(pauseFile) && readFileSync(pauseFile, 'utf8').includes(point) ? true : undefined), 180_000, ended),
    resume: () => rmSync(pauseFile, { force: true }),
    async finished(timeoutMs = 180_000): Promise<CommandResult> {
      await waitFor('ncupd to finish', () => result, timeoutMs);
      return result!;
    },
    async dispose() {
      if (!ended()) await run.stop(60_000);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

function journalRecords(bed: Bed): JournalRecord[] {
  const dir = join(bed.stateDir, 'journal', 'cloud');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort() : [];
  const last = files.at(-1);
  if (!last) return [];
  return readFileSync(join(dir, last), 'utf8').split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line) as JournalRecord] : [];
    } catch {
      return [];
    }
  });
}

function recover(bed: Bed) {
  return runNcupd(['recover', '--json', '--config', join(bed.work, 'config.yaml')], { timeoutMs: 300_000 });
}

describe('ncupd now when a resource runs out or goes away', function () {
  this.timeout(300_000);

  describe('a full disk', () => {
    it('refuses to stage when the folder beside the install root has too little room, changing nothing', async () => {
      const small = await mountTmpfs('size=64m');
      let bed: Bed | undefined;
      try {
        bed = await makeBed({ instance: { baseDir: small.dir } });
        // The instance fits; the staged release with its margin does not.
        await small.remount('size=16m');
        const before = await stateOf(bed);
        const result = await bed.now(['--json']);
        const summary = parseJson<RunSummary>(result.stdout);
        assert.equal(summary.result, 'failed', JSON.stringify(summary));
        assert.equal(result.exitCode, 1);
        assert.equal(summary.failedStage, 'stage');
        assert.ok(['NCUPD_PREFLIGHT_FAILED', 'NCUPD_DISK_FULL'].includes(summary.errorCode ?? ''), summary.errorCode);
        assert.match(summary.message ?? '', new RegExp(`${bed.instance.base}.* MiB free`), 'the message names the folder and its free space');
        assert.deepEqual(await stateOf(bed), before, 'code, config, rows and files unchanged');
        assert.equal(await occMaintenance(bed), false);
        assert.equal(await stagingLeft(bed), '', 'nothing staged is left');
        assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), [], 'the journal is closed');
      } finally {
        await bed?.close();
        await small.unmount();
      }
    });

    it('fails with NCUPD_DISK_FULL when the disk fills up while the release is unpacked, changing nothing', async () => {
      const small = await mountTmpfs('size=256m');
      let bed: Bed | undefined;
      try {
        bed = await makeBed({ instance: { baseDir: small.dir } });
        // Room in bytes for the free-space check, but too few inodes for the release's 200 entries:
        // unzip runs into ENOSPC halfway, as on a disk that is really full.
        await small.remount(`nr_inodes=${(await small.usedInodes()) + 60}`);
        const before = await stateOf(bed);
        const result = await bed.now(['--json']);
        const summary = parseJson<RunSummary>(result.stdout);
        assert.equal(summary.result, 'failed', JSON.stringify(summary));
        assert.equal(result.exitCode, 1);
        assert.equal(summary.failedStage, 'stage');
        assert.equal(summary.errorCode, 'NCUPD_DISK_FULL', summary.message);
        assert.match(summary.message ?? '', /no space left on device/i);
        assert.ok(summary.windowMs === undefined, 'the maintenance window never opened');
        assert.deepEqual(await stateOf(bed), before, 'code, config, rows and files unchanged');
        assert.equal(await occMaintenance(bed), false);
        assert.equal(await stagingLeft(bed), '', 'the half-unpacked release was removed');
        assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), [], 'the journal is closed');
      } finally {
        await bed?.close();
        await small.unmount();
      }
    });

    it('rolls back when the state directory fills up during the snapshot, and recover closes the journal', async () => {
      // Big enough for the preflight check (SQLite size * 1.2 + 64 MiB free), filled up in the window.
      const small = await mountTmpfs('size=72m');
      let bed: Bed | undefined;
      let run: ReturnType<typeof startPaused> | undefined;
      try {
        bed = await makeBed({ stateDir: join(small.dir, 'state') });
        const before = await stateOf(bed);
        run = startPaused(bed, 'stage:snapshot:before');
        await run.paused();
        assert.equal(maintenanceOn(bed), true, 'paused inside the window');
        const filler = join(small.dir, 'filler');
        await host.run({ file: 'fallocate', args: ['-l', String(await small.freeBytes()), filler] });
        assert.ok((await small.freeBytes()) < 64 * 1024, 'the state directory is full');
        run.resume();
        const result = await run.finished();
        const summary = parseJson<RunSummary>(result.stdout);
        assert.equal(summary.result, 'rolled-back', `${result.stdout}\n${result.stderr}`);
        assert.equal(result.exitCode, 7);
        assert.equal(summary.failedStage, 'snapshot');
        assert.equal(summary.errorCode, 'NCUPD_DISK_FULL', summary.message);
        // The failure itself says so, not only a note that the history could not be written.
        assert.match(summary.message?.split('\n')[0] ?? '', /^no space left on device .*during snapshot/, summary.message);
        assert.ok(summary.message?.includes(bed.stateDir), 'the message names the full directory');
        assert.deepEqual(await stateOf(bed), before, 'code, config, rows and files unchanged');
        assert.equal(await occMaintenance(bed), false);
        rmSync(filler);
        const recovered = await recover(bed);
        assert.equal(recovered.exitCode, 0, recovered.stdout + recovered.stderr);
        for (const s of parseJson<RunSummary[]>(recovered.stdout)) assert.notEqual(s.result, 'rollback-failed', JSON.stringify(s));
        assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), [], 'the journal is closed');
        assert.deepEqual(await stateOf(bed), before, 'recovery changed nothing either');
        assert.equal(await occMaintenance(bed), false);
      } finally {
        await run?.dispose();
        await bed?.close();
        await small.unmount();
      }
    });
  });

  /** A private server the test may stop and start again, with the instance's database on it. */
  interface PrivateServer {
    readonly port: number;
    start(): Promise<void>;
    stop(): Promise<void>;
    isRunning(): Promise<boolean>;
    destroy(): Promise<void>;
  }
  const servers: { name: string; label: string; db: 'mysql' | 'pgsql'; start(): Promise<{ running: PrivateServer; server: DatabaseServer }> }[] = [
    { name: 'MariaDB', label: 'MySQL/MariaDB', db: 'mysql', start: async () => {
      const running = await startPrivateMariadb();
      return { running, server: privateMariadbServer(running) };
    } },
    { name: 'PostgreSQL', label: 'PostgreSQL', db: 'pgsql', start: async () => {
      const running = await startPrivatePostgres();
      return { running, server: privatePostgresServer(running) };
    } },
  ];
  for (const kind of servers) {
    describe(`the ${kind.name} server stopped inside the window (password authentication)`, () => {
      let database: PrivateServer;
      let server: DatabaseServer;
      before(async () => {
        ({ running: database, server } = await kind.start());
      });
      after(async () => {
        await database?.destroy();
      });

      /** Pauses before `occ upgrade`, stops the server, resumes: the upgrade fails and the rollback needs the database. */
      async function stopServerBeforeUpgrade(options: BedOptions, point = 'stage:upgrade:before') {
        const bed = await makeBed({ db: kind.db, server, ...options });
        const before = await stateOf(bed);
        const run = startPaused(bed, point);
        await run.paused();
        await database.stop();
        assert.equal(await database.isRunning(), false);
        run.resume();
        return { bed, before, run, endpoint: `the ${kind.label} database ${bed.instance.database.dbName} at 127.0.0.1:${database.port}` };
      }

      it('waits in maintenance mode until the server is back, then rolls back with every row', async () => {
        // A migration that changed rows and failed; the server goes away just before the rollback restores them.
        const { bed, before, run, endpoint } = await stopServerBeforeUpgrade({ faults: ['failing-migration'], instanceConfig: { rollbackWaitSeconds: 600 } }, 'undo:restore-database:before');
        try {
          const wait = await waitFor('the rollback to wait for the database', () => journalRecords(bed).find((r) => r.type === 'wait'), 120_000, run.ended);
          assert.equal(wait.step, 'database');
          assert.equal((wait.data as { what?: string } | undefined)?.what, endpoint, 'the journal names the server');
          assert.equal(maintenanceOn(bed), true, 'maintenance stays on while the rollback waits');
          await new Promise((resolve) => setTimeout(resolve, 2000));
          assert.equal(run.ended(), false, 'ncupd still waits');
          assert.equal(maintenanceOn(bed), true);
          await database.start();
          const result = await run.finished();
          const summary = parseJson<RunSummary>(result.stdout);
          assert.equal(summary.result, 'rolled-back', `${result.stdout}\n${result.stderr}`);
          assert.equal(result.exitCode, 7);
          assert.equal(summary.failedStage, 'upgrade');
          assert.equal(summary.errorCode, 'NCUPD_UPGRADE_FAILED');
          // With --json the wait is told on stderr, stdout stays one JSON document.
          assert.ok(result.stderr.includes(`… waiting for ${endpoint} (attempt 1, next try in 1 s; maintenance mode stays on)`), result.stderr);
          assert.match(result.stderr, new RegExp(`ALERT: cloud: rollback waits for ${endpoint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
          const after = await stateOf(bed);
          assert.deepEqual(after.rows, before.rows, 'no row lost: the rows the failed migration changed are back');
          assert.equal(after.code, before.code);
          assert.equal(after.config, before.config);
          assert.equal(after.files, before.files);
          assert.equal(await occMaintenance(bed), false);
          assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), [], 'the journal is closed');
        } finally {
          await run.dispose();
          if (!(await database.isRunning())) await database.start();
          await bed.close();
        }
      });

      it('stops waiting at once on SIGTERM during recovery, keeping the transaction open for the next start', async () => {
        const { bed, before, run } = await stopServerBeforeUpgrade({ instanceConfig: { rollbackWaitSeconds: 2 } });
        try {
          await run.finished(120_000);
          assert.equal((await listUnfinishedTransactions(bed.stateDir, 'cloud')).length, 1);
          // The rollback waits again in recovery (the server is still down), now for long; a stop request must not wait for it.
          const configPath = join(bed.work, 'config.yaml');
          writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/rollbackWaitSeconds: 2\b/, 'rollbackWaitSeconds: 600'));
          const waitsBefore = journalRecords(bed).filter((r) => r.type === 'wait').length;
          const recovering = host.start({ file: process.execPath, args: [MAIN, 'recover', '--config', join(bed.work, 'config.yaml')], env: {} });
          await waitFor('recovery to wait for the database', () => (journalRecords(bed).filter((r) => r.type === 'wait').length > waitsBefore ? true : undefined), 120_000);
          const stopped = Date.now();
          const result = await recovering.stop(60_000);
          transcript.push(result.command, result.stdout, result.stderr);
          assert.ok(Date.now() - stopped < 15_000, `recover ended ${Date.now() - stopped} ms after SIGTERM`);
          assert.equal(result.exitCode, 8, result.stdout + result.stderr);
          assert.match(result.stdout, /ROLLBACK INCOMPLETE/);
          assert.equal(maintenanceOn(bed), true, 'maintenance stays on');
          assert.equal((await listUnfinishedTransactions(bed.stateDir, 'cloud')).length, 1, 'the transaction stays open');
          await database.start();
          const recovered = await recover(bed);
          assert.deepEqual(parseJson<RunSummary[]>(recovered.stdout).map((x) => x.result), ['rolled-back'], recovered.stdout);
          const after = await stateOf(bed);
          assert.deepEqual(after.rows, before.rows);
          assert.equal(after.code, before.code);
          assert.equal(await occMaintenance(bed), false);
        } finally {
          await run.dispose();
          if (!(await database.isRunning())) await database.start();
          await bed.close();
        }
      });

      it('gives up after rollbackWaitSeconds, blocks new runs, and recover finishes the rollback once the server is back', async () => {
        const { bed, before, run, endpoint } = await stopServerBeforeUpgrade({ instanceConfig: { rollbackWaitSeconds: 2 } });
        try {
          const result = await run.finished(120_000);
          const summary = parseJson<RunSummary>(result.stdout);
          assert.equal(summary.result, 'rollback-failed', `${result.stdout}\n${result.stderr}`);
          assert.equal(result.exitCode, 8);
          assert.equal(summary.failedStage, 'upgrade');
          const notRestored = summary.notUndone?.find((n) => n.startsWith('restore the database from the snapshot'));
          assert.ok(notRestored?.includes(`${endpoint} is unreachable after waiting 2 s`), JSON.stringify(summary.notUndone));
          assert.ok(summary.notUndone?.some((n) => /maintenance mode left ON/.test(n)), JSON.stringify(summary.notUndone));
          assert.equal(maintenanceOn(bed), true, 'maintenance stays on');
          assert.equal((await listUnfinishedTransactions(bed.stateDir, 'cloud')).length, 1, 'the transaction stays open');

          const again = await bed.now(['--json']);
          assert.equal(again.exitCode, 1);
          const error = parseJson<{ error: { code: string; message: string } }>(again.stdout).error;
          assert.equal(error.code, 'NCUPD_UNFINISHED_TRANSACTION');
          assert.match(error.message, /ncupd recover/);
          assert.equal(maintenanceOn(bed), true, 'the refused run changed nothing');

          await database.start();
          const recovered = await recover(bed);
          assert.equal(recovered.exitCode, 0, recovered.stdout + recovered.stderr);
          const summaries = parseJson<RunSummary[]>(recovered.stdout);
          assert.deepEqual(summaries.map((s) => s.result), ['rolled-back'], recovered.stdout);
          const after = await stateOf(bed);
          assert.deepEqual(after.rows, before.rows, 'no row lost');
          assert.equal(after.code, before.code);
          assert.equal(after.config, before.config);
          assert.equal(after.files, before.files);
          assert.equal(await occMaintenance(bed), false);
          assert.deepEqual(await listUnfinishedTransactions(bed.stateDir, 'cloud'), [], 'the journal is closed');
        } finally {
          await run.dispose();
          if (!(await database.isRunning())) await database.start();
          await bed.close();
        }
      });
    });
  }
});
