import { NcupdError } from '../errors/ncupd-error.js';
import { describeDbEndpoint } from '../discovery/dbhost.js';
import { databaseMethods } from '../snapshots/database/registry.js';
import type { RunContext } from './context.js';
import type { UndoResource } from './undo-action.js';
import { databaseOf } from './undo-actions.js';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Probe {
  /** What is awaited, for the operator: "the MySQL/MariaDB database nc at db:3306". */
  readonly what: string;
  ping(): Promise<void>;
}

/** How each resource is named and asked whether it is back. */
const probes: Readonly<Record<UndoResource, (ctx: RunContext) => Promise<Probe | undefined>>> = {
  async database(ctx) {
    const target = await databaseOf(ctx);
    const method = databaseMethods[target.type];
    if (!method) return undefined;
    const what = `the ${target.type === 'pgsql' ? 'PostgreSQL' : target.type === 'mysql' ? 'MySQL/MariaDB' : 'SQLite'} database ${target.name}${target.type === 'sqlite3' ? ` (${target.sqlitePath ?? '?'})` : ` at ${describeDbEndpoint(target.endpoint)}`}`;
    return { what, ping: () => method.ping(ctx.host, target) };
  },
  // A command that answers proves the connection is back (the SSH host reconnects on the next command).
  host: async (ctx) => ({ what: `the host ${ctx.host.id} (${ctx.host.kind})`, ping: async () => void await ctx.host.run({ file: 'true', timeoutMs: 60_000 }) }),
};

/**
 * Before an undo step that needs a resource: if it is missing, say exactly what is awaited, journal
 * it, alert once, and retry with backoff (1 s doubling to 60 s) until it is back or the wait ends
 * (`rollbackWaitSeconds`, or a stop request on `stop`). Giving up leaves the step undone, so the
 * transaction stays open, maintenance stays on, and recovery picks it up later.
 */
export async function waitForResource(ctx: RunContext, resource: UndoResource, stop: AbortSignal): Promise<void> {
  const probe = await probes[resource](ctx);
  if (!probe) return;
  const { what } = probe;
  const deadline = Date.now() + ctx.instance.rollbackWaitSeconds * 1000;
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await probe.ping();
      if (attempt > 1) ctx.emit({ type: 'note', message: `${what} is back after ${attempt - 1} failed attempt(s); rolling back` });
      return;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      if (stop.aborted || Date.now() + delay > deadline) {
        throw new NcupdError('NCUPD_RESOURCE_UNAVAILABLE', { instance: ctx.instance.name, stage: 'rollback', cause: error,
          detail: `${resource}: ${what} is unreachable${stop.aborted ? ' and ncupd was asked to stop' : ` after waiting ${ctx.instance.rollbackWaitSeconds} s`} (${detail})` });
      }
      if (attempt === 1) {
        ctx.emit({ type: 'alert', message: `${ctx.instance.name}: rollback waits for ${what}; the instance stays in maintenance mode until it is back` });
        await ctx.journal.append({ type: 'wait', step: resource, data: { what } }).catch(() => undefined);
      }
      ctx.emit({ type: 'waiting', resource: what, attempt, retryInMs: delay, detail });
      await sleep(delay, stop);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
