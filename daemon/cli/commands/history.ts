import { readHistory } from '../../engine/history.js';
import { resolveConfig, type GlobalOptions } from '../context.js';
import { summaryLine } from '../progress.js';

/** `ncupd history`: the summary line of past runs, newest first. */
export async function runHistory(options: GlobalOptions & { limit?: string }): Promise<number> {
  const config = resolveConfig(options);
  const entries = await readHistory(config.stateDir, { instance: options.instance, limit: Number(options.limit ?? 20) });
  if (options.json) process.stdout.write(JSON.stringify(entries) + '\n');
  else process.stdout.write(entries.length === 0 ? 'no runs recorded yet\n' : entries.map(summaryLine).join('\n') + '\n');
  return 0;
}
