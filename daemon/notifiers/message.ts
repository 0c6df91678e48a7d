// One wording for every channel (issue 7): a subject that says it all on a lock screen, then what
// happened, the state the instance is in now, and what to do next. Built from the run summary
// only: no config, no credentials, so no secret can reach a message from here.
import { summaryLine } from '../cli/progress.js';
import type { RunSummary } from '../engine/journal-types.js';
import type { Notification } from './notifier.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface NotificationMessage {
  readonly event: Notification['kind'];
  readonly instance: string;
  /** The run's result, or `alert`. */
  readonly result: RunSummary['result'] | 'alert';
  readonly severity: Severity;
  /** One line, plain ASCII apart from what the run itself reported. */
  readonly subject: string;
  readonly happened: readonly string[];
  readonly state: string;
  readonly next: string;
  /** The whole message as plain text (email body, ntfy message, Nextcloud long message). */
  readonly text: string;
}

interface Wording {
  readonly severity: Severity;
  readonly subject: string;
  readonly state: string;
  readonly next: string;
}

const DOC_ROLLBACK = 'docs/admin-guide.md, "When a rollback fails, or ncupd was interrupted"';

function wordingOf(s: RunSummary): Wording {
  const target = s.to ?? 'the new release';
  const fix = s.errorCode ? `Fix the cause (${s.errorCode}: see docs/errors.md for its hint)` : 'Fix the cause named above';
  switch (s.result) {
    case 'updated':
      return { severity: 'info', subject: `${s.instance} updated ${s.from} -> ${target}`,
        state: `On ${target}, checks passed, maintenance mode off.`, next: 'Nothing. The snapshot is kept as retention says.' };
    case 'rolled-back':
      return { severity: 'warning', subject: `${s.instance} ROLLED BACK to ${s.from} (update to ${target} failed)`,
        state: `Back on ${s.from}: code, config and database as before; maintenance mode off; serving users.`,
        next: `${fix}, then run \`ncupd now --instance ${s.instance}\` or let the next window try again.` };
    case 'rollback-failed':
      return { severity: 'critical', subject: `${s.instance} ROLLBACK INCOMPLETE, maintenance mode ON`,
        state: `In maintenance mode (users see the maintenance page). Not undone: ${(s.notUndone ?? ['(not recorded)']).join('; ')}.`,
        next: `Fix what is named above, then run \`ncupd recover --instance ${s.instance}\` (the daemon retries by itself); the snapshot is kept. See ${DOC_ROLLBACK}.` };
    case 'failed':
      return { severity: 'warning', subject: `${s.instance} update to ${target} FAILED, nothing changed`,
        state: `Unchanged on ${s.from}; nothing on the instance was changed.`, next: `${fix}; the next window tries again.` };
    case 'blocked':
      return { severity: 'warning', subject: `${s.instance} update to ${target} BLOCKED, action needed`,
        state: `Unchanged on ${s.from}.`, next: 'Read the reason above: approve the release, upgrade PHP, or move the install to a supported type.' };
    case 'held':
      return { severity: 'info', subject: `${s.instance} update to ${target} held by policy`, state: `Unchanged on ${s.from}.`, next: 'Nothing, unless you want it now.' };
    case 'up-to-date':
      return { severity: 'info', subject: `${s.instance} up to date (${s.from})`, state: `On ${s.from}.`, next: 'Nothing.' };
  }
}

function runMessage(s: RunSummary): NotificationMessage {
  const wording = wordingOf(s);
  const happened: string[] = [];
  if (s.failedStage) happened.push(`Failed at stage ${s.failedStage}${s.errorCode ? ` with ${s.errorCode}` : ''}.`);
  if (s.message) happened.push(`${s.result === 'updated' ? 'Note' : 'Reason'}: ${s.message}`);
  if (s.recovered) happened.push(`Finished by recovery; the transaction had been interrupted at ${s.recovered}.`);
  if (s.windowMs !== undefined) happened.push(`Maintenance window: ${(s.windowMs / 1000).toFixed(1)} s.`);
  const subject = `ncupd: ${wording.subject}`;
  const text = [
    subject, '',
    'What happened:', ...indent([`${s.result} (transaction ${s.txid}, ${s.startedAt} to ${s.endedAt})`, ...happened]), '',
    'Instance now:', ...indent([wording.state]), '',
    'What to do:', ...indent([wording.next]), '',
    `Record: ${summaryLine(s)}`,
  ].join('\n');
  return { event: 'run', instance: s.instance, result: s.result, severity: wording.severity, subject, happened, state: wording.state, next: wording.next, text };
}

function alertMessage(n: Extract<Notification, { kind: 'alert' }>): NotificationMessage {
  // Alerts are raised as `<instance>: what` (engine); the subject names the instance once.
  const what = n.message.startsWith(`${n.instance}: `) ? n.message.slice(n.instance.length + 2) : n.message;
  const first = what.split('\n')[0] ?? '';
  const subject = `ncupd: ${n.instance} ALERT: ${first.length > 120 ? `${first.slice(0, 117)}...` : first}`;
  const state = 'A run is in progress or waiting; the instance may be in maintenance mode.';
  const next = `Act on the alert above; \`ncupd status\` shows the run. See ${DOC_ROLLBACK}.`;
  const text = [
    subject, '',
    'What happened:', ...indent([what, ...(n.txid ? [`transaction ${n.txid}${n.at ? `, ${n.at}` : ''}`] : [])]), '',
    'Instance now:', ...indent([state]), '',
    'What to do:', ...indent([next]),
  ].join('\n');
  return { event: 'alert', instance: n.instance, result: 'alert', severity: 'critical', subject, happened: [what], state, next, text };
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line) => `  ${line.split('\n').join('\n    ')}`);
}

export function composeMessage(notification: Notification): NotificationMessage {
  return notification.kind === 'run' ? runMessage(notification.summary) : alertMessage(notification);
}
