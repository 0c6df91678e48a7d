import type { RunContext } from '../daemon/engine/context.js';

/**
 * PHP-FPM with opcache keeps serving cached old code after a swap (contract 9): the configured
 * reload command runs after every swap and swap back, before any check.
 */
export async function runReloadHook(ctx: Pick<RunContext, 'host' | 'instance' | 'emit' | 'secrets'>): Promise<void> {
  const command = ctx.instance.reloadCommand;
  if (!command || command.length === 0) return;
  const [file, ...args] = command as [string, ...string[]];
  ctx.emit({ type: 'note', message: `reload hook: ${command.join(' ')}` });
  await ctx.host.run({ file, args, timeoutMs: 120_000, secrets: ctx.secrets });
}
