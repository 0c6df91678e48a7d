// `ncupd clear-updater-step`: explains a leftover `.step` of the official updater and, when that is
// safe, moves it and its downloads/ aside into the state directory (never deletes them).
import { basename, dirname } from 'node:path';
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import { discoverInstance, type DiscoveredInstance } from '../discovery/discover-instance.js';
import { NcupdError, isNcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import { freeBytes, isDirectory, listDir, makePrivateDir, usedBytes } from './host-fs.js';
import { listUnfinishedTransactions } from './journal.js';
import { acquireLock } from './lock.js';
import {
  UPDATER_STEPS, checkCodeIntact, describeState, findUpdaterProcesses, isFinishedRun, maintenanceCause, mayHaveChangedCode,
  type CodeCheck, type LeftoverStep, type UpdaterProcess,
} from './updater-step.js';

export interface ClearStepOptions {
  readonly host: Host;
  readonly config: NcupdConfig;
  readonly instance: InstanceConfig;
  /** Move the leftovers (`--yes`); without it nothing is changed. */
  readonly apply: boolean;
  readonly signal?: AbortSignal;
}

export type StepReport =
  | { readonly instance: string; readonly found: false }
  | {
    readonly instance: string;
    readonly found: true;
    readonly step: LeftoverStep & { readonly label: string | undefined; readonly does: string | undefined; readonly meaning: string };
    /** Seconds since `.step` was last written. */
    readonly ageSeconds: number | undefined;
    readonly finishedRun: boolean;
    readonly processes: readonly UpdaterProcess[];
    /** An updater is at work: a process runs, or `.step` changed while ncupd checked. */
    readonly busy: boolean;
    readonly checks: readonly CodeCheck[];
    readonly safe: boolean;
    /** Why it is not safe; empty when safe. */
    readonly problems: readonly string[];
    /** What would move or moved, in that order: downloads/ (if present), then `.step`. */
    readonly leftovers: readonly string[];
    /** The updater's own code backups (step 3), left where they are. */
    readonly backups: readonly string[];
    readonly maintenance: { readonly on: boolean; readonly cause: ReturnType<typeof maintenanceCause>; readonly needsDbUpgrade: boolean | undefined };
    /** Where the leftovers went; null when nothing moved. */
    readonly movedTo: string | null;
  };

export type FoundStep = Extract<StepReport, { found: true }>;

const stamp = (now: Date): string => now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** A half-replaced tree may not even be readable: say so beside discovery's own hint. */
async function discover(host: Host, instance: InstanceConfig, signal?: AbortSignal): Promise<DiscoveredInstance> {
  try {
    return await discoverInstance(host, instance, { signal });
  } catch (error) {
    if (!isNcupdError(error, 'NCUPD_INSTANCE_UNREADABLE') && !isNcupdError(error, 'NCUPD_INSTANCE_NOT_FOUND')) throw error;
    throw new NcupdError(error.code, { detail: error.message, instance: instance.name, cause: error,
      hint: `${error.hint} If the official updater was interrupted during its steps 8 to 12, the code may be half-replaced: finish with the updater or restore the code from a backup.` });
  }
}

/** Seconds since the epoch, with the fraction: a rewrite within the same second still shows. */
async function modifiedAt(host: Host, path: string): Promise<number | undefined> {
  const result = await host.run({ file: 'stat', args: ['-c', '%.9Y', '--', path], reject: false });
  return result.exitCode === 0 ? Number(result.stdout.trim()) : undefined;
}

async function assess(host: Host, instance: InstanceConfig, d: DiscoveredInstance, step: LeftoverStep, signal?: AbortSignal): Promise<FoundStep> {
  const dir = dirname(step.path);
  const finishedRun = isFinishedRun(step);
  const processes = await findUpdaterProcesses(host, instance.path);
  // A finished run replaced the code as a whole (occ upgrade may still be due), and a running updater
  // is reason enough to refuse: then only occ status is read, for advice.
  const code = await checkCodeIntact(host, instance, d, { statusOnly: finishedRun || processes.length > 0, signal });
  const checks = code.checks;
  const unproven = !finishedRun && processes.length === 0 && checks.some((c) => c.name === 'integrity' && c.ok === undefined) && mayHaveChangedCode(step);
  const problems = [
    ...processes.map((p) => `an updater process runs (pid ${p.pid}: ${p.command})`),
    ...(finishedRun ? [] : checks.filter((c) => c.ok === false).map((c) => c.detail)),
    ...(unproven ? [`integrity:check-core does not apply here, and the updater ${step.step === undefined ? 'may have reached' : 'reached'} a step that changes the code: nothing proves the code is whole`] : []),
  ];
  const mtime = await modifiedAt(host, step.path);
  const downloads = `${dir}/downloads`;
  const on = code.status?.maintenance ?? d.maintenance;
  return {
    instance: instance.name, found: true,
    step: { ...step, label: UPDATER_STEPS[step.step ?? 0]?.label, does: UPDATER_STEPS[step.step ?? 0]?.does, meaning: describeState(step) },
    ageSeconds: mtime === undefined ? undefined : Math.max(0, Math.round(Date.now() / 1000 - mtime)),
    finishedRun, processes, busy: processes.length > 0, checks, safe: problems.length === 0, problems,
    leftovers: [...((await isDirectory(host, downloads)) ? [downloads] : []), step.path],
    backups: (await listDir(host, `${dir}/backups`)).map((name) => `${dir}/backups/${name}`),
    maintenance: { on, cause: maintenanceCause(step, on), needsDbUpgrade: code.status?.needsDbUpgrade },
    movedTo: null,
  };
}

/** A move across filesystems copies: refuse before starting rather than leave half a copy behind. */
async function ensureRoom(host: Host, from: string, target: string): Promise<void> {
  const device = async (path: string) => (await host.run({ file: 'stat', args: ['-c', '%d', '--', path] })).stdout.trim();
  if ((await device(from)) === (await device(target))) return;
  const need = await usedBytes(host, from);
  const free = await freeBytes(host, target);
  if (need > free) {
    throw new NcupdError('NCUPD_DISK_FULL', { detail: `${from} needs ${need} bytes, ${target} has ${free} free`,
      hint: 'Free space on the state directory\'s file system and run again: .step moves last, so it is still found.' });
  }
}

/** downloads/ first, `.step` last: an interruption leaves `.step`, so the leftover is still found next time. */
async function moveAside(host: Host, stateDir: string, report: FoundStep, now: Date): Promise<string> {
  const parent = `${stateDir}/updater-leftovers`;
  await makePrivateDir(host, parent);
  await makePrivateDir(host, `${parent}/${report.instance}`);
  const target = `${parent}/${report.instance}/${stamp(now)}`;
  await host.run({ file: 'mkdir', args: ['-m', '0700', '--', target] });
  await host.writeFile(`${target}/origin.json`, `${JSON.stringify({ movedAt: now.toISOString(), from: report.leftovers, step: { state: report.step.state, step: report.step.step } }, null, 2)}\n`, { mode: 0o600 });
  for (const from of report.leftovers) {
    await ensureRoom(host, from, target);
    // mv renames on one filesystem and copies across them (the state dir is often elsewhere).
    await host.run({ file: 'mv', args: ['-T', '--', from, `${target}/${basename(from)}`], timeoutMs: 3_600_000 });
  }
  return target;
}

/**
 * Explains the instance's `.step` and moves it aside when safe and asked to. Holds the instance lock:
 * an ncupd run of the updater strategy legitimately has a `.step` while it works.
 */
export async function clearUpdaterStep(options: ClearStepOptions): Promise<StepReport> {
  const { host, config, instance } = options;
  const d = await discover(host, instance, options.signal);
  if (!d.updaterStep) return { instance: instance.name, found: false };
  const now = new Date();
  const lock = await acquireLock(config.stateDir, instance.name, { txid: `clear-updater-step-${stamp(now)}`, command: 'ncupd clear-updater-step' });
  try {
    const open = await listUnfinishedTransactions(config.stateDir, instance.name);
    if (open.length > 0) {
      throw new NcupdError('NCUPD_UNFINISHED_TRANSACTION', { instance: instance.name,
        detail: `transaction ${open[open.length - 1]!.txid} did not finish; its recovery also removes the .step of its own updater run: run \`ncupd recover --instance ${instance.name}\` first` });
    }
    const written = await modifiedAt(host, d.updaterStep.path);
    const report = await assess(host, instance, d, d.updaterStep, options.signal);
    if (!report.safe || !options.apply) return report;
    // The checks can take minutes (integrity): an updater that started meanwhile shows here.
    const processes = await findUpdaterProcesses(host, instance.path);
    const changed = (await modifiedAt(host, d.updaterStep.path)) !== written;
    if (processes.length > 0 || changed) {
      const problems = [
        ...processes.map((p) => `an updater process started while ncupd checked (pid ${p.pid}: ${p.command})`),
        ...(changed ? ['.step changed while ncupd checked: an updater is at work (the web updater shows no process)'] : []),
      ];
      return { ...report, safe: false, busy: true, processes, problems };
    }
    return { ...report, movedTo: await moveAside(host, config.stateDir, report, now) };
  } finally {
    await lock.release();
  }
}

/** The refusal, with the way out that fits the state (contract 4.5). */
export function unsafeError(report: FoundStep, instance: InstanceConfig): NcupdError {
  const { step } = report;
  const where = `${step.path} (step ${step.step ?? '?'}${step.label ? ` "${step.label}"` : ''}, state ${step.state ?? '?'})`;
  const updater = `\`sudo -u ${instance.webUser} ${instance.php} ${instance.path}/updater/updater.phar\``;
  const resume = step.state === 'end' && step.step !== undefined
    ? `it continues at step ${step.step + 1}`
    : 'it refuses while a step is marked in process: add --ignore-state (updaters of Nextcloud 33 and later) or move .step away by hand, and it starts from scratch';
  const backup = report.backups.length > 0 ? ` (the updater's own copy of the old code: ${report.backups.at(-1)})` : '';
  const pids = report.processes.map((p) => p.pid).join(', ');
  const hint = report.busy
    ? `An updater ${pids ? `runs (pid ${pids})` : 'is at work'}: let it finish, then run \`ncupd clear-updater-step --instance ${instance.name}\` again.`
    : `The code ${report.checks.some((c) => c.ok === false) ? 'is half-replaced' : 'may be half-replaced, and nothing proves it is whole'}. Either finish with the official updater, ${updater} (${resume}), or restore the code from a backup${backup}. Then run \`ncupd clear-updater-step --instance ${instance.name}\` again.`;
  return new NcupdError('NCUPD_UPDATER_STEP_UNSAFE', { instance: instance.name, detail: `not safe to clear ${where}: ${report.problems.join('; ')}`, hint });
}
