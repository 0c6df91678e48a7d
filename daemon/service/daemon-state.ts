// What the daemon must remember across restarts: when it first saw each offered release (the soak
// delay counts from there) and which instances an operator paused. One small JSON file in the
// state directory, replaced atomically (tmp, fsync, rename, fsync of the folder).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorText, journalError, writeStateFileAtomically } from '../engine/journal.js';

export interface InstanceMemory {
  /** version -> ISO time ncupd first saw it offered. */
  readonly firstSeen: Readonly<Record<string, string>>;
  readonly paused?: { readonly at: string; readonly by: string };
  /** version -> when a scheduled update to it ended rolled back: not retried by the schedule (`ncupd now` does). */
  readonly failed?: Readonly<Record<string, string>>;
}

export interface DaemonMemory {
  readonly instances: Readonly<Record<string, InstanceMemory>>;
}

export function daemonStatePath(stateDir: string): string {
  return join(stateDir, 'daemon-state.json');
}

export async function readDaemonState(stateDir: string): Promise<DaemonMemory> {
  try {
    const parsed = JSON.parse(await readFile(daemonStatePath(stateDir), 'utf8')) as Partial<DaemonMemory> | null;
    return { instances: parsed && typeof parsed.instances === 'object' && parsed.instances !== null ? parsed.instances : {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { instances: {} };
    throw journalError(`could not read ${daemonStatePath(stateDir)}: ${errorText(error)}`, error);
  }
}

export async function writeDaemonState(stateDir: string, memory: DaemonMemory): Promise<void> {
  await writeStateFileAtomically(stateDir, daemonStatePath(stateDir), memory);
}

/** Returns the memory with one instance changed (the file is small; every change rewrites it). */
export function withInstance(memory: DaemonMemory, name: string, change: (m: InstanceMemory) => InstanceMemory): DaemonMemory {
  return { instances: { ...memory.instances, [name]: change(memory.instances[name] ?? { firstSeen: {} }) } };
}
