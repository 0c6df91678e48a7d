// The daemon's public shapes: what it is started with and what it offers the control socket and
// the status server.
import type { NcupdConfig } from '../config/schema.js';
import type { ProgressEvent } from '../engine/context.js';
import type { RunSummary } from '../engine/journal-types.js';
import type { Host } from '../hosts/host.js';
import type { StatusSource } from './status-model.js';

export interface DaemonLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DaemonOptions {
  readonly configPath: string;
  readonly host: Host;
  readonly log: DaemonLog;
  readonly version: string;
  /** How often windows are looked at (default 60 s; tests shorten it). */
  readonly tickMs?: number;
  /** Tests: a fixed clock. */
  readonly now?: () => Date;
  /** Called with every finished run and alert (notifications). */
  readonly onRunFinished?: (summary: RunSummary) => void;
  readonly onAlert?: (instance: string, message: string) => void;
  /** Called after every successful check (the heartbeat ping). */
  readonly onChecked?: () => void;
  /** Called when the stage of a running transaction changes (systemd STATUS lines). */
  readonly onActivity?: (text: string) => void;
}

export interface RunningDaemon extends StatusSource {
  /** Starts a transaction and lets the caller follow it (the control socket's `now`). */
  startTransaction(instance: string, trigger: string, listener?: (event: ProgressEvent) => void): Promise<{ txid: string; done: Promise<RunSummary> }>;
  setPaused(instance: string | undefined, paused: boolean, by: string): Promise<string[]>;
  checkNow(): Promise<void>;
  reload(): Promise<{ ok: boolean; error?: string }>;
  /** Graceful stop: no new runs; running ones are cancelled (they roll back); resolves when all ended. */
  stop(): Promise<void>;
  readonly config: () => NcupdConfig;
}
