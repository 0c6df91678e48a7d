import type { DataSnapshotFigure } from './data-snapshots.js';
import type { SshFleetFigures } from './ssh-fleet.js';
// The shape of bench/results.json and the targets, judged from the figures of one run.

export interface DatabaseFigures {
  readonly window_s: number;
  readonly db_snapshot_s: number;
  readonly upgrade_s: number;
  readonly checks_s: number;
  readonly file_work_s: number;
  readonly db_restore_s: number;
  readonly rollback_s: number;
  readonly snapshot_mb: number;
  readonly data_dir_mb?: number;
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  readonly met: boolean;
}

export interface BenchResults {
  readonly generatedAt: string;
  readonly quick: boolean;
  readonly repetitions: number;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly workload: { readonly files: number; readonly unpacked_mb: number; readonly zip_mb: number; readonly rows: number; readonly from: string; readonly to: string };
  readonly window_file_work_s: number;
  readonly updater_window_file_work_s: number;
  readonly code_rollback_s: number;
  readonly updater_code_rollback_s: number;
  readonly verify_mb_s: number;
  readonly sha512sum_mb_s: number;
  readonly prepare_s: number;
  readonly unzip_s: number;
  readonly total_s: number;
  readonly updater_total_s: number;
  readonly updater_window_s: number;
  readonly idle_rss_mb: number;
  readonly idle_rss_after_start_mb: number;
  readonly peak_rss_mb: number;
  readonly databases: Readonly<Record<string, DatabaseFigures>>;
  /** Each data-snapshot method that runs for real here, on the same data directory. */
  data_snapshots?: { readonly files: number; readonly data_mb: number; readonly methods: Readonly<Record<string, DataSnapshotFigure | string>> };
  /** `ncupd check` over 50 instances on five SSH hosts (issue 6), where sshd could run. */
  ssh_fleet?: SshFleetFigures | string;
  readonly raw: Readonly<Record<string, unknown>>;
  targets: Target[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : Infinity);

/** The targets, each with the value this run measured. */
export function buildTargets(r: BenchResults): Target[] {
  const fileRatio = ratio(r.updater_window_file_work_s, r.window_file_work_s);
  const verifyRatio = ratio(r.verify_mb_s, r.sha512sum_mb_s);
  const prepareRatio = ratio(r.prepare_s, r.unzip_s);
  return [
    { name: 'file work in the window', target: '<= 0.2 s', value: `${r.window_file_work_s} s`, met: r.window_file_work_s <= 0.2 },
    { name: 'file work vs the updater approach', target: '>= 50x less', value: `${fileRatio.toFixed(0)}x less (${r.updater_window_file_work_s} s)`, met: fileRatio >= 50 },
    { name: 'code rollback', target: '< 0.2 s', value: `${r.code_rollback_s} s`, met: r.code_rollback_s < 0.2 },
    { name: 'verification vs sha512sum', target: '>= 1.2x', value: `${verifyRatio.toFixed(2)}x (${r.verify_mb_s} vs ${r.sha512sum_mb_s} MB/s)`, met: verifyRatio >= 1.2 },
    { name: 'online preparation vs bare unzip', target: '<= 1.3x', value: `${prepareRatio.toFixed(2)}x (${r.prepare_s} vs ${r.unzip_s} s)`, met: prepareRatio <= 1.3 },
    { name: 'idle daemon RSS', target: '<= 64 MB', value: `${r.idle_rss_mb} MB`, met: r.idle_rss_mb <= 64 },
  ];
}
