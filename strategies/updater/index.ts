import { dirname, join } from 'node:path';
import type { RunContext } from '../../daemon/engine/context.js';
import { exists, listDir, makePrivateDir } from '../../daemon/engine/host-fs.js';
import { faultPoint } from '../../daemon/engine/faults.js';
import { dataEntry } from './undo.js';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';
import { loadTrustRoot } from '../../integrity/trust/trust-certificate.js';
import { archiveStrategy } from '../archive/index.js';
import { runReloadHook } from '../reload-hook.js';
import type { UpdateStrategy } from '../strategy.js';
import { classifyUpdaterOutput, updaterCapabilities } from './classify-output.js';
import { serveArchive } from './serve-archive.js';
import { placeArchiveForRun } from '../verified-copy.js';

// Files rewritten in place, so a hard link would share the change: they are real copies (design.md).
// Nextcloud rewrites config.php, .htaccess and .user.ini; the updater's step 8 overwrites the entry
// points (file_put_contents: same inode), found when the first rollback restored "Update in process.".
const REWRITTEN_IN_PLACE = ['config', '.htaccess', '.user.ini', 'index.php', 'status.php', 'remote.php', 'public.php', 'ocs'];

const UPDATER_TIMEOUT_MS = 1_800_000;

function txDir(ctx: RunContext): string {
  return join(dirname(ctx.instance.path), `.ncupd-${ctx.instance.name}`, ctx.txid);
}

/** Hard-link copy of the code (cheap: the updater replaces files rather than rewriting them), real copies where Nextcloud writes in place. */
async function snapshotCode(ctx: RunContext, old: string): Promise<string[]> {
  const skip = dataEntry(ctx);
  const entries = (await listDir(ctx.host, ctx.instance.path)).filter((e) => e !== skip);
  await makePrivateDir(ctx.host, old);
  for (const entry of entries) {
    const copyMode = REWRITTEN_IN_PLACE.includes(entry) ? '-a' : '-al';
    await ctx.host.run({ file: 'cp', args: [copyMode, '--', `${ctx.instance.path}/${entry}`, `${old}/${entry}`], timeoutMs: 600_000 });
  }
  // The folder itself is made by root: it takes the live root's owner and mode, so a snapshot put
  // back whole (`ncupd rollback`) leaves the install root as it was (found by npm run bench).
  await ctx.host.run({ file: 'chown', args: ['--reference', ctx.instance.path, old] });
  await ctx.host.run({ file: 'chmod', args: ['--reference', ctx.instance.path, old] });
  return entries;
}

/** Drives the instance's own updater.phar, fed the exact bytes ncupd verified, inside ncupd's window. */
export const updaterStrategy = {
  id: 'updater',
  supportedHosts: ['local', 'ssh'],
  needsTools: ['cp', 'mv', 'timeout', 'pkill'],
  needsArchive: true,
  forGitCheckouts: false,

  async prepare(ctx) {
    const help = await ctx.host.run({ file: ctx.instance.php, args: [`${ctx.instance.path}/updater/updater.phar`, '--help'], cwd: ctx.instance.path, user: ctx.instance.webUser, reject: false, timeoutMs: 60_000 });
    const can = updaterCapabilities(help.stdout + help.stderr);
    if (help.exitCode !== 0 || !can.url) {
      // Without --url it would download from the internet bytes ncupd never verified (issue 4).
      ctx.state.updaterFallback = true;
      ctx.emit({ type: 'note', message: 'the installed updater has no --url option: using the archive strategy instead' });
      await archiveStrategy.prepare(ctx);
      return;
    }
    const workDir = join(dirname(ctx.instance.path), `.ncupd-${ctx.instance.name}`);
    await makePrivateDir(ctx.host, workDir);
    await makePrivateDir(ctx.host, txDir(ctx));
    ctx.state.workDir = workDir;
    ctx.state.oldRoot = join(txDir(ctx), 'old');
    // Online, before the window: a remote instance gets its SHA-512-checked copy now.
    ctx.state.placedArchive = await placeArchiveForRun(ctx, txDir(ctx));
  },

  async apply(ctx) {
    if (ctx.state.updaterFallback) return archiveStrategy.apply(ctx);
    const archive = ctx.state.archive!;
    const discovered = ctx.state.discovered!;
    const old = ctx.state.oldRoot!;
    const stepFile = `${discovered.updaterDir}/.step`;
    // A partial copy is only ncupd's own folder: removing it is the undo until the snapshot is whole.
    await ctx.undo.push({ kind: 'remove-partial-code-snapshot', name: 'remove the partial code snapshot', data: { old } });
    await ctx.journal.append({ type: 'intent', step: 'code-snapshot', data: { old } });
    await snapshotCode(ctx, old);
    await faultPoint('code-snapshot:copied', ctx.signal);
    await ctx.journal.append({ type: 'done', step: 'code-snapshot', data: { old } });
    await ctx.undo.push({ kind: 'restore-updater-code', name: 'restore the code the updater replaced',
      data: { old, live: ctx.instance.path, stepFile, id: `${ctx.txid}-code`, dataEntry: dataEntry(ctx) ?? '' } });
    const help = await ctx.host.run({ file: ctx.instance.php, args: [`${ctx.instance.path}/updater/updater.phar`, '--help'], cwd: ctx.instance.path, user: ctx.instance.webUser, reject: false });
    const can = updaterCapabilities(help.stdout);
    const trust = loadTrustRoot(ctx.instance.trust.certificate);
    // Pushed before the server starts: a rollback (or recovery after ncupd died here) stops a server left running.
    await ctx.undo.push({ kind: 'stop-archive-server', name: 'stop the loopback server of the verified archive', data: { workDir: txDir(ctx) } });
    const served = await serveArchive(ctx.host, ctx.state.placedArchive ?? archive.path, { php: ctx.instance.php, workDir: txDir(ctx), lifetimeSeconds: UPDATER_TIMEOUT_MS / 1000 + 60, signal: ctx.signal });
    try {
      const verify = trust.isNextcloud && can.signature && ctx.state.check?.verdict.target?.signature
        ? [`--signature=${ctx.state.check.verdict.target.signature}`]
        : can.noVerify ? ['--no-verify'] : [];
      await faultPoint('updater:before', ctx.signal);
      const run = await ctx.host.run({
        file: ctx.instance.php, args: [`${ctx.instance.path}/updater/updater.phar`, '--no-interaction', '--no-backup', '--no-upgrade', `--url=${served.url}`, ...verify],
        cwd: ctx.instance.path, user: ctx.instance.webUser, reject: false, timeoutMs: UPDATER_TIMEOUT_MS, signal: ctx.signal, secrets: ctx.secrets,
      });
      const outcome = classifyUpdaterOutput(run.exitCode, `${run.stdout}\n${run.stderr}`);
      if (outcome.kind !== 'success') {
        const what = outcome.kind === 'step-failed' ? `step "${outcome.step}" failed: ${outcome.message}`
          : outcome.kind === 'exception' ? outcome.message
            : outcome.kind === 'step-in-process' ? `a previous run left ${outcome.stepFile} at step ${outcome.step}`
              : outcome.kind === 'wrong-user' ? `it must run as ${outcome.owner}` : outcome.kind === 'no-update' ? outcome.detail : outcome.detail;
        throw new NcupdError('NCUPD_UPDATER_FAILED', { stage: 'apply', instance: ctx.instance.name, detail: `updater.phar exited ${run.exitCode ?? run.signal}: ${what}` });
      }
    } finally {
      await served.close();
    }
    // A successful --no-upgrade run leaves .step at {"state":"end","step":12}; nothing of the updater's stays behind.
    if (await exists(ctx.host, stepFile)) await ctx.host.run({ file: 'rm', args: ['-f', '--', stepFile] });
    await runReloadHook(ctx);
  },

  keptCodeSnapshot(ctx) {
    return ctx.state.oldRoot;
  },
} satisfies UpdateStrategy;
