import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult, RunningProcess } from '../daemon/hosts/host.js';
import { createLocalHost } from '../daemon/hosts/local/index.js';
import { REPO_ROOT } from '../test/helpers/repo.js';

export const host = createLocalHost('bench');
export const MAIN = join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js');

/** kB fields of /proc/<pid>/status, in MB; undefined once the process is gone. */
export function procMemoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface MeasuredRun {
  readonly result: CommandResult;
  /** ncupd's own high-water mark (VmHWM), children (php, unzip, dumps) not included. */
  readonly peakRssMb: number;
  readonly seconds: number;
}

/** Runs `ncupd <args>` as an operator would and follows its memory high-water mark until it ends. */
export async function runNcupdMeasured(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 3_600_000): Promise<MeasuredRun> {
  const started = process.hrtime.bigint();
  const child: RunningProcess = host.start({ file: process.execPath, args: [MAIN, ...args], env, timeoutMs });
  let peak = 0;
  const timer = setInterval(() => {
    if (child.pid !== undefined) peak = Math.max(peak, procMemoryMb(child.pid, 'VmHWM') ?? 0);
  }, 50);
  const result = await child.exited.finally(() => clearInterval(timer));
  return { result, peakRssMb: peak, seconds: secondsSince(started) };
}

export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Seconds one async job takes. */
export async function timed<T>(job: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await job();
  return { value, seconds: secondsSince(started) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Bytes of a tree on disk as `du` counts them (hard links once). */
export async function diskUsageMb(...paths: string[]): Promise<number> {
  const result = await host.run({ file: 'du', args: ['-scb', ...paths], timeoutMs: 600_000 });
  const total = /(\d+)\s+total\s*$/m.exec(result.stdout);
  return Number(total?.[1] ?? 0) / 1e6;
}
