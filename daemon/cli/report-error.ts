import { exitCodeFor } from '../errors/exit-codes.js';
import { isNcupdError } from '../errors/ncupd-error.js';

/** The `--json` shape of a failure: `{ error: { code, message, hint, stage, instance, retryable } }`. */
export function errorJson(error: unknown): { error: Record<string, unknown> } {
  if (isNcupdError(error)) {
    return { error: { code: error.code, message: error.message, hint: error.hint, stage: error.stage, instance: error.instance, retryable: error.retryable } };
  }
  return { error: { message: `internal error: ${error instanceof Error ? error.message : String(error)}` } };
}

/** The documented exit code of a failure (1 for an error ncupd did not expect). */
export function exitCodeOf(error: unknown): number {
  return isNcupdError(error) ? exitCodeFor(error.code) : 1;
}

/** Prints code, message and hint (design.md, "Errors") and returns the documented exit code. */
export function reportError(error: unknown, json: boolean): number {
  if (isNcupdError(error)) {
    if (json) {
      process.stdout.write(JSON.stringify(errorJson(error)) + '\n');
    } else {
      const where = [error.instance && `instance ${error.instance}`, error.stage && `stage ${error.stage}`].filter(Boolean).join(', ');
      process.stderr.write(`error ${error.code}${where ? ` (${where})` : ''}: ${error.message}\nhint: ${error.hint}\n`);
    }
    return exitCodeOf(error);
  }
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`internal error: ${message}\n`);
  return 1;
}
