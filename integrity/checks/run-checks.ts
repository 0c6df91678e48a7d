import type { CheckContext, CheckOutcome, HealthCheck } from './check.js';
import { checksFor } from './registry.js';

/** For checks that declare no deadline of their own. */
export const DEFAULT_CHECK_TIMEOUT_MS = 120_000;
/** After its deadline a check is aborted; this long it may take to stop its command before the next check starts. */
const SETTLE_MS = 5_000;

export interface RunChecksOptions {
  /** Checks to run instead of `checksFor(instance, phase)`; those that do not apply to the phase are left out. */
  readonly checks?: readonly HealthCheck[];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * One check under its deadline (after fastify's hook timeouts): the outcome names the check that
 * overran; a thrown error becomes a failed outcome with its message.
 */
async function runOne(check: HealthCheck, context: CheckContext): Promise<CheckOutcome> {
  const timeoutMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const deadline = new AbortController();
  const signal = context.signal ? AbortSignal.any([context.signal, deadline.signal]) : deadline.signal;
  const attempt = Promise.resolve()
    .then(() => check.run({ ...context, signal }))
    .then((outcome): CheckOutcome => ({ ...outcome, check: check.id }), (error: unknown): CheckOutcome => ({ check: check.id, status: 'failed', detail: messageOf(error) }));
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeoutMs);
  });
  try {
    const first = await Promise.race([attempt, expired]);
    if (first !== 'expired') return first;
  } finally {
    clearTimeout(timer);
  }
  const detail = `check "${check.id}" did not finish within ${timeoutMs / 1000} s and was stopped`;
  deadline.abort(new Error(detail));
  // Give its command the chance to be killed, so it does not overlap the next check.
  await Promise.race([attempt, delay(SETTLE_MS)]);
  return { check: check.id, status: 'failed', detail };
}

/**
 * Runs the checks of `context.phase` one after another and returns every outcome; a failed check
 * never throws. Once the run is cancelled, the checks not yet run are reported failed: a check that
 * did not run proves nothing.
 */
export async function runChecks(context: CheckContext, options: RunChecksOptions = {}): Promise<CheckOutcome[]> {
  const checks = (options.checks ?? checksFor(context.instance, context.phase)).filter((check) => check.phases.includes(context.phase));
  const outcomes: CheckOutcome[] = [];
  for (const check of checks) {
    if (context.signal?.aborted) {
      outcomes.push({ check: check.id, status: 'failed', detail: 'not run: the run was cancelled' });
      continue;
    }
    outcomes.push(await runOne(check, context));
  }
  return outcomes;
}
