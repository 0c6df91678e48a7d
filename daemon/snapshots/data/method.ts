import type { Host } from '../../hosts/host.js';

/** The data-snapshot methods (issue 9); `auto` in the config resolves to one of these. */
export const DATA_METHOD_IDS = ['btrfs', 'zfs', 'lvm', 'hardlink', 'appdata', 'none'] as const;
export type DataMethodId = typeof DATA_METHOD_IDS[number];

/** The data directory of one instance and where its data snapshots live. */
export interface DataTarget {
  /** ncupd's name of the instance. */
  readonly instance: string;
  readonly installRoot: string;
  /** config.php `datadirectory`, without a trailing slash. */
  readonly dataDir: string;
  /** config.php `instanceid`: app data lives in `appdata_<instanceid>`. */
  readonly instanceId: string;
  /**
   * Root-only folder for path-based snapshots, one subfolder per transaction. Beside the data
   * directory (or the install root's work area when the data directory sits inside the install
   * root), never inside anything the web server serves.
   */
  readonly home: string;
}

/** What one data snapshot is and what it cost; written as data.json in the run's snapshot folder. */
export interface DataSnapshot {
  readonly method: DataMethodId;
  readonly txid: string;
  readonly dataDir: string;
  /** Where it lives: a path (btrfs, hardlink, appdata), `dataset@name` (zfs), `vg/lv` (lvm); '' for none. */
  readonly location: string;
  /** Where restore moves what it replaces (a path, dataset or LV name); never deleted by ncupd. */
  readonly replacedAt: string;
  /** Method-specific facts restore needs (lvm: volume group, origin LV). */
  readonly extra: Readonly<Record<string, string>>;
  readonly createdAt: string;
  /** Time the snapshot took, inside the maintenance window. */
  readonly durationMs: number;
  /** Bytes written when taken (copies); copy-on-write methods start at 0 and grow as data changes. */
  readonly bytes: number;
}

/** What one snapshot needs at `path` (preflight checks free bytes and inodes there). */
export interface SpaceNeed {
  readonly path: string;
  readonly bytes: number;
  readonly inodes: number;
}

export type Applicability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** How restore left things: what it put aside (kept for the operator), or that it had nothing to do. */
export interface RestoreResult {
  readonly replacedAt: string | undefined;
  readonly alreadyDone: boolean;
}

/** The Snapshot seam for the data directory (shared/design.md): one implementation per folder. */
export interface DataSnapshotMethod {
  readonly id: DataMethodId;
  /** Copy-on-write of the whole data directory in constant time (worth choosing automatically). */
  readonly exact: boolean;
  /** Whether user files come back on restore (appdata and none: no). */
  readonly coversUserFiles: boolean;
  /** Whether a restore after the window closed can keep what it replaces (zfs and lvm cannot: see their READMEs). */
  readonly restoresLater: boolean;
  readonly needsTools: readonly string[];
  /** Whether the method snapshots exactly this instance's data here; the reason when not. Changes nothing. */
  applies(host: Host, target: DataTarget, signal?: AbortSignal): Promise<Applicability>;
  /** Room one snapshot needs, measured on the host (copies: bytes and inodes; copy-on-write: headroom). */
  spaceNeeded(host: Host, target: DataTarget, signal?: AbortSignal): Promise<SpaceNeed>;
  take(host: Host, target: DataTarget, txid: string, signal?: AbortSignal): Promise<DataSnapshot>;
  /**
   * Puts the data directory back as in the snapshot. Idempotent (crash recovery runs it again) and
   * never deletes a user file: what it replaces is moved aside to `replacedAt`, not removed.
   */
  restore(host: Host, snapshot: DataSnapshot, signal?: AbortSignal): Promise<RestoreResult>;
  /** Drops the snapshot itself (retention); never touches the data directory or `replacedAt`. */
  remove(host: Host, snapshot: DataSnapshot, signal?: AbortSignal): Promise<void>;
}
