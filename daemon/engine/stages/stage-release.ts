import { dirname } from 'node:path';
import { NcupdError } from '../../errors/ncupd-error.js';
import { freeBytes } from '../host-fs.js';
import type { Stage } from '../stage.js';

/** Stage 5: the strategy prepares the new code beside the live tree, online. */
export const stageStage: Stage = {
  name: 'stage', changesInstance: false, inWindow: false,
  timeoutMs: () => 3_600_000,
  async run(ctx) {
    const needed = Math.ceil((ctx.state.archive?.expandedBytes ?? 0) * 1.1) + 64 * 1024 * 1024;
    const free = await freeBytes(ctx.host, dirname(ctx.instance.path));
    if (free < needed) {
      throw new NcupdError('NCUPD_PREFLIGHT_FAILED', { stage: 'stage', instance: ctx.instance.name,
        detail: `${dirname(ctx.instance.path)} has ${Math.floor(free / 1048576)} MiB free; staging the release needs ${Math.ceil(needed / 1048576)} MiB` });
    }
    await ctx.strategy.prepare(ctx);
  },
};
