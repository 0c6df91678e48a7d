import type { RunContext } from './context.js';
import { findProcesses } from './find-processes.js';

const WAIT_MS = 30_000;

/** Command lines of the children a transaction starts that change the instance. */
function patterns(ctx: RunContext): string[] {
  return [`${ctx.instance.path}/occ upgrade`, `${ctx.instance.path}/updater/updater.phar`];
}

async function running(ctx: RunContext): Promise<string[]> {
  const pids: string[] = [];
  for (const pattern of patterns(ctx)) pids.push(...(await findProcesses(ctx.host, pattern)));
  return pids;
}

/**
 * A SIGKILL to ncupd alone (not a power cut) leaves `occ upgrade` or updater.phar running. Recovery
 * must not restore under them: it waits up to 30 s for them to end, then stops them (TERM, then KILL).
 */
export async function stopLeftoverProcesses(ctx: RunContext): Promise<void> {
  let pids = await running(ctx);
  if (pids.length === 0) return;
  ctx.emit({ type: 'note', message: `waiting for processes the interrupted run started (pid ${pids.join(', ')}) to end` });
  const deadline = Date.now() + WAIT_MS;
  while (pids.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    pids = await running(ctx);
  }
  for (const signal of ['TERM', 'KILL']) {
    if (pids.length === 0) return;
    ctx.emit({ type: 'note', message: `stopping leftover process(es) ${pids.join(', ')} with SIG${signal}` });
    await ctx.host.run({ file: 'kill', args: [`-${signal}`, '--', ...pids], reject: false });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    pids = await running(ctx);
  }
  if (pids.length > 0) throw new Error(`processes ${pids.join(', ')} of the interrupted run do not end`);
}
