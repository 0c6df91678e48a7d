import type { CommandResult } from '../../daemon/hosts/host.js';
import type { CheckContext } from './check.js';
import { occ } from '../../daemon/engine/occ.js';

/** Where occ runs: a check's context, or the same three things from a stage. */
export type OccTarget = Pick<CheckContext, 'host' | 'instance' | 'signal'>;

/**
 * `php occ <args>` as the web user from the install root (contract 5.1), never rejecting: a check
 * turns a non-zero exit into its own outcome. The run's signal (the runner's deadline) stops it.
 */
export function runOcc(target: OccTarget, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
  return occ(target.host, target.instance, args, { timeoutMs, signal: target.signal });
}

/** "exit 1: <last lines>" or "timed out after 3 s": the reason first, then what the program said. */
export function describeFailure(result: CommandResult, lines = 3): string {
  const how = result.timedOut
    ? `timed out after ${Math.round(result.durationMs / 1000)} s and was stopped`
    : result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
  const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-lines).join(' | ');
  return tail ? `${how}: ${tail}` : how;
}
