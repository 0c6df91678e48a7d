// What a leftover `.step` of the official updater means, and whether moving it aside is safe
// (contract 4.3 and 4.5; issue: "a leftover .step is detected and explained, with a safe way to clear it").
import { posix } from 'node:path';
import type { InstanceConfig } from '../config/schema.js';
import type { DiscoveredInstance } from '../discovery/discover-instance.js';
import { parseOccJson } from '../discovery/occ-json.js';
import type { Host } from '../hosts/host.js';
import { occ, type OccStatus } from './occ.js';

/** The official updater's steps (contract 4.3, nextcloud/updater lib/UpdateCommand.php `$checkTexts`). */
export const UPDATER_STEPS: Readonly<Record<number, { readonly label: string; readonly does: string }>> = {
  1: { label: 'Check for expected files', does: 'checks that the install root holds only known files; changes nothing' },
  2: { label: 'Check for write permissions', does: 'checks that the web user can write every file; changes nothing' },
  3: { label: 'Create backup', does: 'copies the code and config/ into backups/ beside .step (no database, no data); the code is not touched' },
  4: { label: 'Downloading', does: 'downloads the release zip into downloads/ beside .step; the code is not touched' },
  5: { label: 'Verify integrity', does: 'checks the downloaded zip\'s signature; the code is not touched' },
  6: { label: 'Extracting', does: 'unpacks the zip into downloads/nextcloud/; the code is not touched' },
  7: { label: 'Enable maintenance mode', does: 'turns maintenance mode on in config.php' },
  8: { label: 'Replace entry points', does: 'replaces index.php, status.php, remote.php, public.php and ocs/v1.php, ocs/v2.php with "Update in process." pages' },
  9: { label: 'Delete old files', does: 'deletes the old code (core, lib, shipped apps ...), keeping config/, data/, themes/ and third-party apps' },
  10: { label: 'Move new files in place', does: 'moves the new code from downloads/nextcloud/ into the install root' },
  11: { label: 'Keep maintenance mode active?', does: 'web updater only: turns maintenance off if the admin chose so' },
  12: { label: 'Done', does: 'moves the new updater/ in place; the code is then the new version and `occ upgrade` is still due' },
};

/** The step whose start turns maintenance on (contract 4.3: step 7, not the earlier step the docs name). */
const MAINTENANCE_STEP = 7;
/** The first step that changes code: it replaces the entry points, so core integrity sees it, before step 9 deletes anything (apps/ included, which core integrity does not cover). */
const FIRST_CODE_STEP = 8;

/** Whether the updater may have touched the code; without integrity:check-core only an earlier step proves it did not. */
export function mayHaveChangedCode(step: LeftoverStep): boolean {
  return step.step === undefined || step.step >= FIRST_CODE_STEP;
}

export type LeftoverStep = NonNullable<DiscoveredInstance['updaterStep']>;

/** A run that finished its code update: finalize() ran and the last endStep rewrote `.step` (captured: `{"state":"end","step":12}`). */
export function isFinishedRun(step: LeftoverStep): boolean {
  return step.state === 'end' && (step.step ?? 0) >= 12;
}

/** What the state says happened, in words (contract 4.5). */
export function describeState(step: LeftoverStep): string {
  if (step.state === undefined || step.step === undefined) return 'the file is not the updater\'s JSON ({"state":..,"step":..}): its state is unknown';
  if (isFinishedRun(step)) return 'the code update finished (a run with --no-upgrade, or occ upgrade afterwards failed or never ran)';
  if (step.state === 'start') return `step ${step.step} began and never ended: the updater is running it now, or was killed or crashed during it (a step that fails cleanly deletes .step)`;
  if (step.state === 'end') return `step ${step.step} finished and the updater stopped there (Ctrl-C or SIGTERM); its next run would continue at step ${step.step + 1}`;
  return `state "${step.state}" is not one the updater writes`;
}

/** Who most likely switched maintenance on, from how far the updater got. */
export function maintenanceCause(step: LeftoverStep, on: boolean): 'off' | 'updater' | 'maybe-updater' | 'not-updater' | 'unknown' {
  if (!on) return 'off';
  if (step.step === undefined) return 'unknown';
  if (step.step > MAINTENANCE_STEP || (step.step === MAINTENANCE_STEP && step.state === 'end')) return 'updater';
  return step.step === MAINTENANCE_STEP ? 'maybe-updater' : 'not-updater';
}

export interface UpdaterProcess {
  readonly pid: number;
  readonly command: string;
}

/**
 * Running `updater.phar` processes of this install: by absolute path (the root or its real path),
 * or by a relative path resolved against the process's working directory. pgrep's pattern is a
 * regex, so it only narrows; the match is done here on plain strings.
 */
export async function findUpdaterProcesses(host: Host, root: string): Promise<UpdaterProcess[]> {
  const real = (await host.run({ file: 'realpath', args: ['-m', '--', root], reject: false })).stdout.trim();
  const phars = [...new Set([root, real].filter(Boolean).map((r) => `${r.replace(/\/+$/, '')}/updater/updater.phar`))];
  const found = await host.run({ file: 'pgrep', args: ['-a', '-f', '--', 'updater\\.phar'], reject: false });
  const processes: UpdaterProcess[] = [];
  for (const line of found.exitCode === 0 ? found.stdout.split('\n') : []) {
    const match = /^(\d+) (.*)$/.exec(line.trim());
    if (!match) continue;
    const pid = Number(match[1]);
    const command = match[2] ?? '';
    if (phars.some((phar) => command.includes(phar))) {
      processes.push({ pid, command });
      continue;
    }
    const relative = command.split(/\s+/).filter((token) => token.endsWith('updater.phar') && !token.startsWith('/'));
    if (relative.length === 0) continue;
    const cwd = await host.run({ file: 'readlink', args: [`/proc/${pid}/cwd`], reject: false });
    if (cwd.exitCode !== 0) continue; // gone since pgrep saw it
    if (relative.some((token) => phars.includes(posix.resolve(cwd.stdout.trim(), token)))) processes.push({ pid, command });
  }
  return processes;
}

export interface CodeCheck {
  readonly name: 'occ status' | 'versions' | 'integrity';
  /** undefined: not applicable (integrity on a git checkout). */
  readonly ok: boolean | undefined;
  readonly detail: string;
}

export interface CodeState {
  readonly checks: readonly CodeCheck[];
  readonly status: OccStatus | undefined;
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ').slice(0, 300);
}

/** `EXCEPTION` holds class and message (signature unreadable); every other category maps paths to hashes. */
function integrityProblems(report: Record<string, Record<string, unknown>>): string[] {
  return Object.entries(report).flatMap(([kind, entries]) =>
    kind === 'EXCEPTION' ? [`EXCEPTION ${String(entries.message ?? entries.class ?? '')}`] : Object.keys(entries).map((path) => `${kind} ${path}`));
}

/**
 * Whether the code on disk is still the installed version as a whole: occ runs, occ status,
 * version.php and config.php agree with no upgrade pending, and integrity:check-core is clean.
 * `statusOnly` reads occ status alone (for advice, when the verdict does not depend on the code).
 */
export async function checkCodeIntact(host: Host, instance: InstanceConfig, d: DiscoveredInstance, options: { statusOnly?: boolean; signal?: AbortSignal } = {}): Promise<CodeState> {
  const { signal } = options;
  const checks: CodeCheck[] = [];
  const raw = await occ(host, instance, ['status', '--output=json'], { signal, timeoutMs: 120_000 });
  const status = raw.exitCode === 0 ? parseOccJson<OccStatus>(raw.stdout) : undefined;
  if (!status) {
    checks.push({ name: 'occ status', ok: false, detail: `occ status --output=json failed (exit ${raw.exitCode ?? raw.signal}): ${tail(raw.stderr || raw.stdout)}` });
    return { checks, status };
  }
  checks.push({ name: 'occ status', ok: true, detail: `Nextcloud ${status.versionstring} (${status.version}), maintenance ${status.maintenance ? 'on' : 'off'}` });
  if (options.statusOnly) return { checks, status };
  const mismatches = [
    status.version !== d.code.version && `occ status says ${status.version}, version.php ${d.code.version}`,
    status.versionstring !== d.code.versionString && `occ status says "${status.versionstring}", version.php "${d.code.versionString}"`,
    d.installedVersion !== d.code.version && `version.php is ${d.code.version}, config.php version ${d.installedVersion}`,
    status.needsDbUpgrade && 'occ status says an upgrade is pending (needsDbUpgrade)',
  ].filter((m): m is string => typeof m === 'string');
  checks.push(mismatches.length === 0
    ? { name: 'versions', ok: true, detail: `version.php, config.php and occ status agree on ${d.code.version}` }
    : { name: 'versions', ok: false, detail: mismatches.join('; ') });
  const integrity = await occ(host, instance, ['integrity:check-core', '--output=json'], { signal, timeoutMs: 600_000 });
  if (integrity.exitCode === 2) {
    checks.push({ name: 'integrity', ok: undefined, detail: 'integrity:check-core does not apply here (git checkout, channel git or integrity.check.disabled)' });
    return { checks, status };
  }
  const report = parseOccJson<Record<string, Record<string, unknown>> | []>(integrity.stdout);
  if (report === undefined) {
    checks.push({ name: 'integrity', ok: false, detail: `integrity:check-core gave no JSON (exit ${integrity.exitCode ?? integrity.signal}): ${tail(integrity.stderr || integrity.stdout)}` });
    return { checks, status };
  }
  const problems = Array.isArray(report) ? [] : integrityProblems(report);
  checks.push(problems.length === 0
    ? { name: 'integrity', ok: true, detail: 'integrity:check-core found no problems' }
    : { name: 'integrity', ok: false, detail: `integrity:check-core found ${problems.length} problem(s): ${problems.slice(0, 5).join(', ')}${problems.length > 5 ? ', ...' : ''}` });
  return { checks, status };
}
