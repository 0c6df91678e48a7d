import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import type { DiscoveredInstance } from '../discovery/discover-instance.js';
import type { DatabaseCredentials } from '../discovery/read-credentials.js';
import type { Host } from '../hosts/host.js';
import type { CheckResult } from '../releases/check-release.js';
import type { VerifiedArchive } from '../releases/fetch-release.js';
import type { DatabaseSnapshot, DatabaseTarget } from '../snapshots/database/method.js';
import type { DataMethodId, DataSnapshot, DataTarget } from '../snapshots/data/method.js';
import type { IntegrityReport } from '../../integrity/checks/check.js';
import type { UpdateStrategy } from '../../strategies/strategy.js';
import type { Journal } from './journal.js';
import type { RecoveryFacts } from './recovery-facts.js';
import type { UndoStack } from './undo-stack.js';

export type ProgressEvent =
  | { readonly type: 'stage-start'; readonly stage: string }
  | { readonly type: 'stage-end'; readonly stage: string; readonly status: 'done' | 'failed' | 'skipped'; readonly ms: number; readonly detail?: string }
  | { readonly type: 'note'; readonly message: string }
  | { readonly type: 'download'; readonly received: number; readonly total: number | undefined; readonly url: string }
  | { readonly type: 'rollback'; readonly step: string; readonly status: 'start' | 'done' | 'failed'; readonly detail?: string }
  /** A resource the run cannot go on without is missing; the run retries after `retryInMs`. */
  | { readonly type: 'waiting'; readonly resource: string; readonly attempt: number; readonly retryInMs: number; readonly detail: string }
  /** Something an operator must hear about now (notifiers pick these up). */
  | { readonly type: 'alert'; readonly message: string };

/** What the stages learn and leave for later stages; filled as the run goes. */
export interface RunState {
  discovered?: DiscoveredInstance;
  check?: CheckResult;
  archive?: VerifiedArchive;
  credentials?: DatabaseCredentials;
  database?: DatabaseTarget;
  /** Root-only work area beside the live tree, on its filesystem: `<parent>/.ncupd-<instance>`. */
  workDir?: string;
  /** The staged tree, ready to swap in. */
  stagedRoot?: string;
  /** Where the old tree goes (kept as the code snapshot). */
  oldRoot?: string;
  snapshotDir?: string;
  dbSnapshot?: DatabaseSnapshot;
  /** The data directory and where its snapshots go (preflight). */
  dataTarget?: DataTarget;
  /** The data-snapshot method preflight chose (configured, or `auto`'s pick). */
  dataMethod?: DataMethodId;
  dataSnapshot?: DataSnapshot;
  /** `ncupd rollback` without --with-data leaves the data directory alone, so it takes no data snapshot either. */
  skipDataSnapshot?: boolean;
  integrityBaseline?: IntegrityReport;
  appsBefore?: Record<string, { shipped: boolean }>;
  maintenanceWasOn?: boolean;
  windowStartedAt?: number;
  windowEndedAt?: number;
  committed?: boolean;
  /** The target's internal version (4 parts). */
  targetVersion?: string;
  /** The installed version before the run (recovery knows it from the facts, not from discovery). */
  fromVersion?: string;
  /** Set in recovery: what the crashed run recorded after preflight. */
  facts?: RecoveryFacts;
  /** The verified archive where the instance's host reads it (the cache locally, a checked copy over SSH): the updater strategy serves it. */
  placedArchive?: string;
  /** The updater strategy found no `--url` and uses the archive strategy instead. */
  updaterFallback?: boolean;
  /** The git strategy's verified target: the tag's commit, HEAD after the carried patches, submodule commits by path. */
  gitTarget?: { tag: string; commit: string; head: string; submodules: Record<string, string> };
}

/** Everything one run needs, passed explicitly (no module-level state, style.md). */
export interface RunContext {
  readonly txid: string;
  /** Where the instance lives: every command and file of the instance goes here. */
  readonly host: Host;
  /**
   * This machine, when the instance is remote: the release is downloaded and verified here, once
   * (issue 6, "Verified bytes only"). Absent for a local instance, whose host is this machine.
   */
  readonly orchestrator?: Host;
  readonly config: NcupdConfig;
  readonly instance: InstanceConfig;
  readonly strategy: UpdateStrategy;
  readonly journal: Journal;
  readonly undo: UndoStack;
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  /** Secrets of this run (the database password): masked in every command's output. */
  readonly secrets: string[];
  readonly emit: (event: ProgressEvent) => void;
  readonly state: RunState;
  /** Tests: a fake system root for install-type markers. */
  readonly sysroot?: string;
}
