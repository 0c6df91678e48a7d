// `npm run bench [-- --quick]`: the downtime an update costs, measured on a realistic tree with
// real databases, ncupd's archive swap beside the official updater's approach in the same run.
// Fake: the internet (the update server and its mirror are loopback). See docs/performance.md.
import { cpus } from 'node:os';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReleaseCached, type BuiltRelease } from '../test/fixtures/release-builder/build-release.js';
import { REALISTIC } from '../test/fixtures/release-builder/release-options.js';
import { makeBed, type Bed } from '../test/daemon/engine/transaction-bed.js';
import type { DbType } from '../test/fixtures/harness/instance.js';
import { REPO_ROOT } from '../test/helpers/repo.js';
import { diskUsageMb, host, median, timed } from './measure.js';
import { measureVerify } from './verify-throughput.js';
import { measureForcedRollback, measureUpdate, type RollbackRun, type UpdateRun } from './scenarios.js';
import { measureIdleDaemonRss } from './idle-rss.js';
import { measureDataSnapshots } from './data-snapshots.js';
import { measureSshFleet } from './ssh-fleet.js';
import { sshdAvailable } from '../test/fixtures/harness/sshd.js';
import { printReport } from './report.js';
import { writeFiguresPage } from './write-figures.js';
import { buildTargets, type BenchResults, type DatabaseFigures } from './results.js';

const quick = process.argv.includes('--quick');
const CACHE = join(REPO_ROOT, 'bench', 'cache');
const ROWS = 1_000_000;
const DATABASES: DbType[] = quick ? ['sqlite3'] : ['sqlite3', 'mysql', 'pgsql'];
const REPETITIONS = quick ? 1 : 3;

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function bareUnzip(release: BuiltRelease, besideDir: string): Promise<number> {
  const target = join(besideDir, 'bare-unzip');
  mkdirSync(target);
  const { seconds } = await timed(() => host.run({ file: 'unzip', args: ['-q', release.zipPath, '-d', target], timeoutMs: 1_800_000 }));
  await host.run({ file: 'rm', args: ['-rf', '--one-file-system', target], timeoutMs: 600_000 });
  return seconds;
}

async function bedFor(db: DbType, strategy: 'archive' | 'updater', releases: { installed: BuiltRelease; target: BuiltRelease }): Promise<Bed> {
  log(`installing a ${releases.installed.version} instance on ${db} with ${ROWS.toLocaleString('en')} file-cache rows (${strategy} strategy)`);
  const { value, seconds } = await timed(() => makeBed({ db, strategy, releases, instance: { rows: ROWS }, nowTimeoutMs: 3_600_000 }));
  log(`  installed in ${seconds.toFixed(1)} s`);
  return value;
}

/**
 * One instance, three runs: a rollback forced after `occ upgrade`, the real update, then
 * `ncupd rollback` back to the old release so the next repetition starts from the same place.
 */
async function cycle(bed: Bed, what: string, unzipTimes: number[]): Promise<{ update: UpdateRun; rollback: RollbackRun }> {
  unzipTimes.push(await bareUnzip(bed.target, bed.work));
  log(`${what}: forced rollback`);
  const rollback = await measureForcedRollback(bed);
  log(`  rolled back in ${rollback.rollbackS.toFixed(2)} s (code ${rollback.codeS.toFixed(3)} s, database ${rollback.databaseS.toFixed(2)} s)`);
  log(`${what}: update`);
  const update = await measureUpdate(bed);
  log(`  window ${update.windowS.toFixed(2)} s (file work ${update.parts.apply.toFixed(3)} s), prepare ${update.prepareS.toFixed(2)} s`);
  return { update, rollback };
}

async function restoreOld(bed: Bed): Promise<void> {
  const result = await host.run({ file: process.execPath, args: [join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js'), 'rollback', '--instance', 'cloud', '--yes', '--config', bed.config], reject: false, timeoutMs: 3_600_000 });
  if (result.exitCode !== 0) throw new Error(`ncupd rollback failed between repetitions:\n${result.stdout}\n${result.stderr}`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`${quick ? 'quick run: one repetition, SQLite only' : `full run: ${REPETITIONS} repetitions on SQLite, one on MariaDB and PostgreSQL`}; release pair cached in ${CACHE}`);
  const built = await timed(async () => ({
    installed: await buildReleaseCached({ version: '33.0.5', size: REALISTIC, tarBz2: false }, CACHE),
    target: await buildReleaseCached({ version: '33.0.6', size: REALISTIC, tarBz2: false }, CACHE),
  }));
  const releases = built.value;
  const files = Number((await host.run({ file: 'sh', args: ['-c', 'find "$1" -type f | wc -l', 'sh', releases.target.treeDir] })).stdout.trim());
  const unpackedMb = await diskUsageMb(releases.target.treeDir);
  log(`release pair ready in ${built.seconds.toFixed(1)} s: ${files} files, ${unpackedMb.toFixed(0)} MB unpacked, zip ${(releases.target.zipSize / 1e6).toFixed(0)} MB`);

  log('verification throughput: ncupd (one SHA-512 pass, signature and checksum) against sha512sum');
  const verify = await measureVerify(releases.target, quick ? 1 : 5);
  log('idle RSS of ncupd daemon');
  const idle = await measureIdleDaemonRss();
  const dataSnapshots = await measureDataSnapshots(log);
  const sshFleet = (await sshdAvailable()) ? await measureSshFleet(log) : 'not measured: needs root and openssh-server';

  const unzipTimes: number[] = [];
  const archiveRuns: { update: UpdateRun; rollback: RollbackRun }[] = [];
  const updaterRuns: { update: UpdateRun; rollback: RollbackRun }[] = [];
  const perDatabase: Record<string, DatabaseFigures> = {};
  // SQLite: archive and updater strategy on the same tree, interleaved repetition by repetition.
  const archiveBed = await bedFor('sqlite3', 'archive', releases);
  const updaterBed = await bedFor('sqlite3', 'updater', releases);
  try {
    for (let i = 0; i < REPETITIONS; i++) {
      if (i > 0) await Promise.all([restoreOld(archiveBed), restoreOld(updaterBed)]);
      archiveRuns.push(await cycle(archiveBed, `sqlite3/archive #${i + 1}`, unzipTimes));
      updaterRuns.push(await cycle(updaterBed, `sqlite3/updater #${i + 1}`, unzipTimes));
    }
    perDatabase.sqlite3 = databaseFigures(archiveRuns, await diskUsageMb(archiveBed.instance.dataDir));
  } finally {
    await archiveBed.close();
    await updaterBed.close();
  }
  for (const db of DATABASES.filter((d) => d !== 'sqlite3')) {
    const bed = await bedFor(db, 'archive', releases);
    try {
      perDatabase[db] = databaseFigures([await cycle(bed, `${db}/archive`, unzipTimes)], undefined);
    } finally {
      await bed.close();
    }
  }

  const allRuns = [...archiveRuns, ...updaterRuns];
  const results: BenchResults = {
    generatedAt: startedAt.toISOString(), quick, repetitions: REPETITIONS,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
    workload: { files, unpacked_mb: round(unpackedMb), zip_mb: round(releases.target.zipSize / 1e6), rows: ROWS, from: releases.installed.version, to: releases.target.version },
    window_file_work_s: round(median(archiveRuns.map((r) => r.update.parts.apply)), 4),
    updater_window_file_work_s: round(median(updaterRuns.map((r) => r.update.parts.apply)), 3),
    code_rollback_s: round(median(archiveRuns.map((r) => r.rollback.codeS)), 4),
    updater_code_rollback_s: round(median(updaterRuns.map((r) => r.rollback.codeS)), 3),
    verify_mb_s: round(median(verify.ncupd)),
    sha512sum_mb_s: round(median(verify.sha512sum)),
    prepare_s: round(median(archiveRuns.map((r) => r.update.prepareS)), 2),
    unzip_s: round(median(unzipTimes), 2),
    total_s: round(median(archiveRuns.map((r) => r.update.totalS)), 2),
    updater_total_s: round(median(updaterRuns.map((r) => r.update.totalS)), 2),
    updater_window_s: round(median(updaterRuns.map((r) => r.update.windowS)), 2),
    idle_rss_mb: round(idle.afterCheckMb),
    idle_rss_after_start_mb: round(idle.afterStartMb),
    peak_rss_mb: round(Math.max(...allRuns.flatMap((r) => [r.update.peakRssMb, r.rollback.peakRssMb]))),
    databases: perDatabase,
    data_snapshots: dataSnapshots,
    ssh_fleet: sshFleet,
    raw: {
      verify_mb_s: verify.ncupd.map((v) => round(v)), sha512sum_mb_s: verify.sha512sum.map((v) => round(v)), unzip_s: unzipTimes.map((v) => round(v, 2)),
      archive: archiveRuns.map(rawRun), updater: updaterRuns.map(rawRun),
    },
    targets: [],
  };
  results.targets = buildTargets(results);
  const out = join(REPO_ROOT, 'bench', 'results.json');
  writeFileSync(`${out}.tmp`, JSON.stringify(results, null, 2) + '\n');
  renameSync(`${out}.tmp`, out);
  printReport(results);
  writeFiguresPage(results);
  log(`wrote ${out} (${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min in all)`);
}

function rawRun(r: { update: UpdateRun; rollback: RollbackRun }) {
  return {
    window_s: round(r.update.windowS, 3), parts: Object.fromEntries(Object.entries(r.update.parts).map(([k, v]) => [k, round(v, 4)])),
    prepare_s: round(r.update.prepareS, 2), total_s: round(r.update.totalS, 2),
    rollback: r.rollback.steps.map((s) => ({ kind: s.kind, s: round(s.ms / 1000, 3) })),
  };
}

function databaseFigures(runs: readonly { update: UpdateRun; rollback: RollbackRun }[], dataDirMb: number | undefined): DatabaseFigures {
  return {
    window_s: round(median(runs.map((r) => r.update.windowS)), 2),
    db_snapshot_s: round(median(runs.map((r) => r.update.parts.snapshot)), 2),
    upgrade_s: round(median(runs.map((r) => r.update.parts.upgrade)), 2),
    checks_s: round(median(runs.map((r) => r.update.parts.checks)), 2),
    file_work_s: round(median(runs.map((r) => r.update.parts.apply)), 4),
    db_restore_s: round(median(runs.map((r) => r.rollback.databaseS)), 2),
    rollback_s: round(median(runs.map((r) => r.rollback.rollbackS)), 2),
    snapshot_mb: round(median(runs.map((r) => r.update.snapshotMb))),
    ...(dataDirMb !== undefined ? { data_dir_mb: round(dataDirMb) } : {}),
  };
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
