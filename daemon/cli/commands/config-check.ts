import { resolveConfig, type GlobalOptions } from '../context.js';

/** `ncupd config check`: validates the configuration, every problem at once, and touches nothing. */
export async function runConfigCheck(options: GlobalOptions): Promise<number> {
  const config = resolveConfig(options);
  if (options.json) {
    process.stdout.write(JSON.stringify({ valid: true, instances: config.instances.map((i) => i.name) }) + '\n');
  } else {
    process.stdout.write(`configuration is valid: ${config.instances.length} instance${config.instances.length > 1 ? 's' : ''} (${config.instances.map((i) => i.name).join(', ')})\n`);
  }
  return 0;
}
