import { createLocalHost } from '../../hosts/local/index.js';
import { checkRelease } from '../../releases/check-release.js';
import { withInstanceHost } from '../../hosts/registry.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { mapLimited } from '../../fleet/map-limited.js';
import { errorJson, exitCodeOf, reportError } from '../report-error.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import { checkJson, checkLines } from '../output.js';

export interface CheckOptions extends GlobalOptions {
  /** How many instances are read at once (each remote one over its own SSH connection). */
  parallel?: string;
}

export const DEFAULT_CHECK_PARALLEL = 8;

function parallelOf(options: CheckOptions): number {
  if (options.parallel === undefined) return DEFAULT_CHECK_PARALLEL;
  const value = Number(options.parallel);
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    throw new NcupdError('NCUPD_USAGE', { detail: `--parallel expects a whole number from 1 to 256, got "${options.parallel}"` });
  }
  return value;
}

/**
 * `ncupd check`: read-only; prints the installed version, the offer and the policy decision with
 * its reason. Several instances are read `--parallel` at a time and reported in config order; one
 * failing instance is reported with its error and does not hide the others (exit code: the first
 * failure's).
 */
export async function runCheck(options: CheckOptions): Promise<number> {
  const config = resolveConfig(options);
  const host = createLocalHost();
  const instances = selectInstances(config, options.instance);
  const parallel = parallelOf(options);
  if (instances.length === 1) {
    const instance = instances[0]!;
    // Discovery reads the instance where it lives: over SSH for a remote one.
    const result = await withInstanceHost(instance, host, (instanceHost) => checkRelease(instanceHost, instance));
    process.stdout.write(options.json ? JSON.stringify(checkJson(result)) + '\n' : checkLines(result).join('\n') + '\n');
    return 0;
  }
  const settled = await mapLimited(instances, parallel, (instance) => withInstanceHost(instance, host, (instanceHost) => checkRelease(instanceHost, instance)));
  let exitCode = 0;
  const json: unknown[] = [];
  settled.forEach((outcome, index) => {
    const instance = instances[index]!;
    if (outcome.status === 'fulfilled') {
      if (options.json) json.push(checkJson(outcome.value));
      else process.stdout.write(checkLines(outcome.value).join('\n') + '\n');
      return;
    }
    // Errors from a host do not know the instance yet; the operator must see which one failed.
    const error = outcome.reason instanceof NcupdError ? outcome.reason.within({ instance: instance.name }) : outcome.reason;
    if (options.json) json.push({ instance: instance.name, ...errorJson(error) });
    else reportError(error, false);
    const code = exitCodeOf(error);
    if (exitCode === 0) exitCode = code;
  });
  if (options.json) process.stdout.write(JSON.stringify(json) + '\n');
  return exitCode;
}
