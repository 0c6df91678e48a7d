import { createLocalHost } from '../../hosts/local/index.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { checkRelease } from '../../releases/check-release.js';
import { withInstanceHost } from '../../hosts/registry.js';
import { fetchVerifiedRelease } from '../../releases/fetch-release.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import { checkJson, checkLines, fetchLines, progressPrinter } from '../output.js';

/** `ncupd fetch`: check, then download and verify into the cache; prints the verified archive's path and digest. */
export async function runFetch(options: GlobalOptions): Promise<number> {
  const config = resolveConfig(options);
  const host = createLocalHost();
  const out = [];
  for (const instance of selectInstances(config, options.instance)) {
    // The instance is read where it lives; the archive is downloaded and verified here, once.
    const result = await withInstanceHost(instance, host, (instanceHost) => checkRelease(instanceHost, instance));
    if (!options.json) process.stdout.write(checkLines(result).join('\n') + '\n');
    if (result.verdict.decision !== 'apply' || !result.verdict.target) {
      throw new NcupdError('NCUPD_NO_RELEASE', { instance: instance.name, stage: 'decide', detail: `nothing to fetch: ${result.verdict.decision}: ${result.verdict.reason}` });
    }
    const archive = await fetchVerifiedRelease(result.verdict.target, { host, instance, cacheDir: config.cacheDir, php: result.instance.php.version, onProgress: options.json ? undefined : progressPrinter(process.stderr) });
    if (options.json) out.push({ ...checkJson(result), archive });
    else process.stdout.write(fetchLines(archive).join('\n') + '\n');
  }
  if (options.json) process.stdout.write(JSON.stringify(out.length === 1 ? out[0] : out) + '\n');
  return 0;
}
