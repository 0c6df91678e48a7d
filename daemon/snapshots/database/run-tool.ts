// Every step of a database snapshot method runs a tool on the target host and turns its failure
// into the one code the caller branches on (ping, take, verify and restore each have their own),
// with the tool's own words, already masked by the host, as the detail.
import type { ErrorCode } from '../../errors/catalog.js';
import { isNcupdError, NcupdError } from '../../errors/ncupd-error.js';
import type { CommandResult, CommandSpec, Host } from '../../hosts/host.js';

/** How one method call fails: the code and the stage of the update it belongs to. */
export interface Failure {
  readonly code: ErrorCode;
  readonly stage: string;
}

export const PING_FAILURE = { code: 'NCUPD_DATABASE_UNREACHABLE', stage: 'preflight' } as const satisfies Failure;
export const TAKE_FAILURE = { code: 'NCUPD_SNAPSHOT_FAILED', stage: 'snapshot' } as const satisfies Failure;
export const VERIFY_FAILURE = { code: 'NCUPD_SNAPSHOT_INVALID', stage: 'snapshot' } as const satisfies Failure;
export const RESTORE_FAILURE = { code: 'NCUPD_RESTORE_FAILED', stage: 'rollback' } as const satisfies Failure;

/** A connection attempt or a one-line query. */
export const QUICK_MS = 60_000;
/** Dumps, restores and checksums scale with the database; the stage's own deadline (its signal) is the real bound. */
export const LONG_MS = 6 * 60 * 60 * 1000;

export function fail(failure: Failure, detail: string, cause?: unknown): NcupdError {
  return new NcupdError(failure.code, { detail, stage: failure.stage, cause });
}

/** The last lines the tool printed (stderr first): servers and clients put the reason there. */
export function toolWords(result: CommandResult): string {
  const text = result.stderr.trim() || result.stdout.trim();
  return text.split('\n').slice(-6).join('\n');
}

function describeFailure(result: CommandResult): string {
  if (result.timedOut) return `timed out after ${result.durationMs} ms`;
  return result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
}

/**
 * Runs one command; a non-zero exit, a timeout or a missing program becomes `failure` with
 * `what` first. A cancellation stays NCUPD_COMMAND_ABORTED: the caller asked for it.
 */
export async function runTool(host: Host, spec: CommandSpec, failure: Failure, what: string): Promise<CommandResult> {
  let result: CommandResult;
  try {
    result = await host.run({ timeoutMs: QUICK_MS, ...spec, reject: false });
  } catch (error) {
    if (isNcupdError(error, 'NCUPD_COMMAND_ABORTED')) throw error;
    throw fail(failure, `${what}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  if (result.failed) {
    const words = toolWords(result);
    throw fail(failure, `${what} failed (${describeFailure(result)}): ${result.command}${words ? `\n${words}` : ''}`);
  }
  return result;
}

/**
 * Runs a whole method call so that whatever goes wrong inside (a host file write, an unexpected
 * exception) leaves it with the method's code; errors that already carry it pass unchanged.
 */
export async function withFailure<T>(failure: Failure, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (isNcupdError(error, failure.code) || isNcupdError(error, 'NCUPD_COMMAND_ABORTED')) throw error;
    throw fail(failure, error instanceof Error ? error.message : String(error), error);
  }
}

/** The first program of `candidates` that answers `--version`, with that answer. */
export async function findProgram(
  host: Host,
  candidates: readonly string[],
  failure: Failure,
  signal?: AbortSignal,
): Promise<{ file: string; version: string }> {
  for (const file of candidates) {
    try {
      const probe = await host.run({ file, args: ['--version'], reject: false, timeoutMs: QUICK_MS, signal });
      if (probe.exitCode === 0) return { file, version: probe.stdout.trim().split('\n')[0] ?? '' };
    } catch (error) {
      if (isNcupdError(error, 'NCUPD_COMMAND_ABORTED')) throw error;
      // Not installed under this name: try the next.
    }
  }
  throw fail(failure, `none of ${candidates.join(', ')} is installed on host ${host.id}`);
}
