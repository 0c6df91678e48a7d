import { fetchVerifiedRelease } from '../../releases/fetch-release.js';
import type { Stage } from '../stage.js';

/** Stages 3 and 4: download into the cache and verify (signature and checksum in one pass, archive safety). */
export const downloadStage: Stage = {
  name: 'download', changesInstance: false, inWindow: false,
  timeoutMs: () => 3_600_000,
  async run(ctx) {
    if (!ctx.strategy.needsArchive) return { kind: 'continue', detail: `the ${ctx.strategy.id} strategy needs no release archive` };
    const target = ctx.state.check?.verdict.target;
    if (!target) throw new Error('download: no target release');
    const archive = await fetchVerifiedRelease(target, {
      host: ctx.orchestrator ?? ctx.host, instance: ctx.instance, cacheDir: ctx.config.cacheDir, php: ctx.state.discovered?.php.version, signal: ctx.signal,
      onProgress: (p) => ctx.emit({ type: 'download', received: p.received, total: p.total, url: p.url }),
    });
    ctx.state.archive = archive;
    return { kind: 'continue', detail: `${archive.fileName} ${archive.sha512.slice(0, 16)}... verified` };
  },
};
