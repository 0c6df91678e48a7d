import type { InstanceConfig } from '../../config/schema.js';
import { clearUpdaterStep, unsafeError, type FoundStep, type StepReport } from '../../engine/updater-leftovers.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { createLocalHost } from '../../hosts/local/index.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return seconds < 172_800 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 86_400)} days`;
}

const CAUSES = {
  off: 'off',
  updater: 'on, switched on by the updater at its step 7 ("Enable maintenance mode")',
  'maybe-updater': 'on, probably switched on by the updater (it stopped in step 7, "Enable maintenance mode")',
  'not-updater': 'on, but not by the updater (it stopped before step 7, where it switches maintenance on): someone or something else turned it on',
  unknown: 'on',
} as const;

/** Maintenance is never switched off here: --yes agrees to moving files, not to opening the instance to users. */
function maintenanceLines(report: FoundStep, instance: InstanceConfig): string[] {
  const occ = `sudo -u ${instance.webUser} ${instance.php} ${instance.path}/occ`;
  const lines = [`  maintenance: ${CAUSES[report.maintenance.cause]}`];
  if (!report.safe) {
    if (report.maintenance.on) lines.push('  keep maintenance on until the code is whole again');
    return lines;
  }
  if (report.finishedRun && report.maintenance.needsDbUpgrade) {
    lines.push(`  next: the code is already the new version and the database is not: run \`${occ} upgrade\`${report.maintenance.on ? `, then \`${occ} maintenance:mode --off\`` : ''}`);
  } else if (report.maintenance.on) {
    lines.push(`  ncupd does not turn it off: when the instance looks right to you, run \`${occ} maintenance:mode --off\` (ncupd refuses to update while it is on)`);
  }
  return lines;
}

function stepLines(report: StepReport, instance: InstanceConfig, stateDir: string, apply: boolean): string[] {
  if (!report.found) return [`${report.instance}: no .step of the official updater, nothing to clear`];
  const { step } = report;
  const lines = [
    `${report.instance}: the official updater left ${step.path}${report.ageSeconds === undefined ? '' : `, last written ${duration(report.ageSeconds)} ago`}`,
    `  state: step ${step.step ?? '?'}${step.label ? ` "${step.label}"` : ''}, ${step.state ?? 'unknown'}: ${step.meaning}`,
  ];
  if (step.does) lines.push(`  step ${step.step}: ${step.does}`);
  if (report.processes.length === 0) lines.push(`  updater processes: none runs ${instance.path}/updater/updater.phar`);
  for (const p of report.processes) lines.push(`  updater process: pid ${p.pid}: ${p.command}`);
  lines.push('  the web updater (updater/index.php) runs one web request per step and cannot be detected reliably: make sure nobody is using it');
  for (const check of report.checks) lines.push(`  ${check.ok === true ? 'ok' : check.ok === false ? 'FAILED' : 'n/a'}: ${check.detail}`);
  lines.push(...maintenanceLines(report, instance));
  if (!report.safe) return [...lines, `  not safe to clear: ${report.problems.join('; ')}`];
  lines.push(report.finishedRun
    ? '  safe to clear: the updater finished replacing the code'
    : '  safe to clear: no updater runs and the code on disk is still the installed version as a whole');
  if (report.backups.length > 0) lines.push(`  left in place: the updater's backups of the old code, ${report.backups.join(', ')}`);
  if (report.movedTo) return [...lines, `  moved ${report.leftovers.join(' and ')} to ${report.movedTo}/ (root only; origin.json there says where they came from)`];
  if (!apply) return [...lines, `  would move ${report.leftovers.join(' and ')} to ${stateDir}/updater-leftovers/${report.instance}/<time>/ (root only)`, '  nothing changed: run again with --yes to move them'];
  return lines;
}

/** `ncupd clear-updater-step`: explains a leftover `.step` of the official updater; moves it aside only when safe and with --yes. */
export async function runClearUpdaterStep(options: GlobalOptions & { yes?: boolean }): Promise<number> {
  const config = resolveConfig(options);
  const host = createLocalHost();
  const apply = options.yes === true;
  const reports: StepReport[] = [];
  const refusals: NcupdError[] = [];
  for (const instance of selectInstances(config, options.instance)) {
    const report = await clearUpdaterStep({ host, config, instance, apply });
    reports.push(report);
    if (!options.json) process.stdout.write(`${stepLines(report, instance, config.stateDir, apply).join('\n')}\n`);
    if (report.found && !report.safe) refusals.push(unsafeError(report, instance));
  }
  if (refusals.length === 1) throw refusals[0];
  if (refusals.length > 1) throw new NcupdError('NCUPD_UPDATER_STEP_UNSAFE', { detail: refusals.map((r) => `${r.instance}: ${r.message}`).join('\n') });
  if (options.json) process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports)}\n`);
  return 0;
}
