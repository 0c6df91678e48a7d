// The rollout's memory (docs/fleets.md): which rings ended when (the soak counts from there),
// each instance's outcome, and a halt that only `ncupd rollout resume` clears. One JSON file in
// the state directory, replaced atomically (temp file, fsync, rename, fsync of the folder), so a
// crash or a power cut leaves either the old or the new state, never a torn one.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorText, journalError, writeStateFileAtomically } from '../engine/journal.js';
import type { RunSummary } from '../engine/journal-types.js';

/**
 * A run's result; `error` when the transaction did not even start (unfinished journal, host);
 * `unhealthy` when an updated instance failed its re-check before the next ring.
 */
export type InstanceOutcome = RunSummary['result'] | 'error' | 'unhealthy';

export interface InstanceRecord {
  readonly ring: string;
  readonly status: 'pending' | 'running' | 'done' | 'failed';
  readonly result?: InstanceOutcome;
  readonly txid?: string;
  readonly from?: string;
  readonly to?: string;
  readonly errorCode?: string;
  readonly message?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
}

export interface RingRecord {
  readonly name: string;
  readonly startedAt?: string;
  /** When every instance of the ring ended well; the next ring waits soakMinutes from here. */
  readonly completedAt?: string;
}

export interface RolloutHalt {
  readonly at: string;
  readonly ring: string;
  readonly instance: string;
  readonly result: InstanceOutcome;
  readonly errorCode?: string;
  readonly reason: string;
}

export interface RolloutState {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly rings: readonly RingRecord[];
  readonly instances: Readonly<Record<string, InstanceRecord>>;
  readonly halted?: RolloutHalt;
  /** Every `ncupd rollout resume`, for the record. */
  readonly resumes?: readonly { readonly at: string; readonly halt: RolloutHalt }[];
}

export function rolloutStatePath(stateDir: string): string {
  return join(stateDir, 'rollout-state.json');
}

function isRolloutState(value: unknown): value is RolloutState {
  const v = value as Partial<RolloutState> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && Array.isArray(v.rings) && typeof v.instances === 'object' && v.instances !== null;
}

/** The persisted state, or undefined when no rollout ever ran. A garbled file is an error, never a silent fresh start. */
export async function readRolloutState(stateDir: string): Promise<RolloutState | undefined> {
  const path = rolloutStatePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw journalError(`could not read ${path}: ${errorText(error)}`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw journalError(`${path} is not valid JSON (${errorText(error)}); move it aside to start a new rollout`, error);
  }
  if (!isRolloutState(parsed)) throw journalError(`${path} is not a rollout state; move it aside to start a new rollout`);
  return parsed;
}

export async function writeRolloutState(stateDir: string, state: RolloutState): Promise<void> {
  await writeStateFileAtomically(stateDir, rolloutStatePath(stateDir), state);
}

/** Results after which the rollout goes on: the normal policy decided, nothing broke. */
export const GOOD_OUTCOMES: readonly InstanceOutcome[] = ['updated', 'up-to-date', 'held', 'blocked'];

export function isGoodOutcome(result: InstanceOutcome): boolean {
  return GOOD_OUTCOMES.includes(result);
}
