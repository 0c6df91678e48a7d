import { exitCodeFor } from '../errors/exit-codes.js';
import { isNcupdError } from '../errors/ncupd-error.js';

/** Prints code, message and hint (design.md, "Errors") and returns the documented exit code. */
export function reportError(error: unknown, json: boolean): number {
  if (isNcupdError(error)) {
    if (json) {
      process.stdout.write(JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint, stage: error.stage, instance: error.instance, retryable: error.retryable } }) + '\n');
    } else {
      const where = [error.instance && `instance ${error.instance}`, error.stage && `stage ${error.stage}`].filter(Boolean).join(', ');
      process.stderr.write(`error ${error.code}${where ? ` (${where})` : ''}: ${error.message}\nhint: ${error.hint}\n`);
    }
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`internal error: ${message}\n`);
  return 1;
}
