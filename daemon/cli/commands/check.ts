import { createLocalHost } from '../../hosts/local/index.js';
import { checkRelease } from '../../releases/check-release.js';
import { withInstanceHost } from '../../hosts/registry.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import { checkJson, checkLines } from '../output.js';

/** `ncupd check`: read-only; prints the installed version, the offer and the policy decision with its reason. */
export async function runCheck(options: GlobalOptions): Promise<number> {
  const config = resolveConfig(options);
  const host = createLocalHost();
  const results = [];
  for (const instance of selectInstances(config, options.instance)) {
    // Discovery reads the instance where it lives: over SSH for a remote one.
    const result = await withInstanceHost(instance, host, (instanceHost) => checkRelease(instanceHost, instance));
    results.push(result);
    if (!options.json) process.stdout.write(checkLines(result).join('\n') + '\n');
  }
  if (options.json) process.stdout.write(JSON.stringify(results.length === 1 ? checkJson(results[0]!) : results.map(checkJson)) + '\n');
  return 0;
}
