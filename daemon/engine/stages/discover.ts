import { checkRelease } from '../../releases/check-release.js';
import type { Stage } from '../stage.js';

/** Stages 1 and 2: read the instance, ask the update server, apply policy (read-only). */
export const discoverStage: Stage = {
  name: 'discover', changesInstance: false, inWindow: false,
  timeoutMs: (ctx) => ctx.instance.download.timeoutSeconds * 4000 + 120_000,
  async run(ctx) {
    const check = await checkRelease(ctx.host, ctx.instance, { sysroot: ctx.sysroot, signal: ctx.signal });
    ctx.state.check = check;
    ctx.state.discovered = check.instance;
    ctx.state.fromVersion = check.instance.installedVersion;
    const { verdict } = check;
    if (verdict.decision === 'up-to-date') return { kind: 'stop', result: 'up-to-date', detail: verdict.reason };
    if (verdict.decision === 'hold') return { kind: 'stop', result: 'held', detail: verdict.reason };
    if (verdict.decision === 'blocked') return { kind: 'stop', result: 'blocked', detail: verdict.reason };
    const gitCheckout = check.instance.installType.type === 'git';
    if (gitCheckout && !ctx.strategy.forGitCheckouts) {
      return { kind: 'stop', result: 'blocked', detail: `a git checkout: the ${ctx.strategy.id} strategy would replace it with release files; use \`strategy: git\`` };
    }
    if (!gitCheckout && ctx.strategy.forGitCheckouts) {
      return { kind: 'stop', result: 'blocked', detail: `not a git checkout (${check.instance.installType.type}): the ${ctx.strategy.id} strategy updates git checkouts only` };
    }
    ctx.state.targetVersion = verdict.target?.version;
    return { kind: 'continue', detail: verdict.reason };
  },
};
