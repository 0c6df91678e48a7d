import { join } from 'node:path';
import { createLocalHost } from '../../daemon/hosts/local/index.js';
import type { CommandResult } from '../../daemon/hosts/host.js';
import { REPO_ROOT } from './repo.js';

/** Everything ncupd printed in this test process, for the scan that no secret ever reaches output. */
export const transcript: string[] = [];

const host = createLocalHost();

/** Runs the built `ncupd` command as an operator would, and records what it printed. */
export async function runNcupd(args: readonly string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CommandResult> {
  const result = await host.run({
    file: process.execPath, args: [join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js'), ...args],
    reject: false, timeoutMs: options.timeoutMs ?? 180_000, env: options.env,
  });
  transcript.push(result.command, result.stdout, result.stderr);
  return result;
}

export function parseJson<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 500)}`);
  }
}
