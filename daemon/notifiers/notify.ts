// Sends one notification to every notifier at once. A notifier that fails is reported in the
// outcomes, never thrown: a broken webhook must not break a run (issue 7).
import { isNcupdError, NcupdError } from '../errors/ncupd-error.js';
import { redact } from '../hosts/redact.js';
import { shouldSend, type Notification, type Notifier } from './notifier.js';

export interface NotifyOptions {
  readonly signal?: AbortSignal;
  /** Secrets of the run (a database password): masked in everything sent. */
  readonly secrets?: readonly string[];
}

export interface NotifyOutcome {
  readonly notifier: string;
  /** `not-wanted`: the notifier's `when` excludes it; `deferred`: cannot be delivered now (Nextcloud in maintenance). */
  readonly status: 'sent' | 'not-wanted' | 'deferred' | 'failed';
  readonly ms: number;
  readonly error?: NcupdError;
}

/** The same notification with every run-provided text masked. */
export function redactNotification(notification: Notification, secrets: readonly string[] | undefined): Notification {
  if (!secrets || secrets.length === 0) return notification;
  const mask = (text: string | undefined) => (text === undefined ? undefined : redact(text, secrets));
  if (notification.kind === 'alert') return { ...notification, message: redact(notification.message, secrets) };
  const { summary } = notification;
  return { kind: 'run', summary: { ...summary, message: mask(summary.message), notUndone: summary.notUndone?.map((item) => redact(item, secrets)) } };
}

async function sendOne(notifier: Notifier, notification: Notification, signal: AbortSignal | undefined): Promise<NotifyOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  if (!shouldSend(notifier.when, notification)) return { notifier: notifier.id, status: 'not-wanted', ms: 0 };
  try {
    await notifier.send(notification, signal);
    return { notifier: notifier.id, status: 'sent', ms: ms() };
  } catch (error) {
    const coded = isNcupdError(error) ? error
      : new NcupdError('NCUPD_NOTIFY_FAILED', { detail: `${notifier.id}: ${error instanceof Error ? error.message : String(error)}`, cause: error });
    return { notifier: notifier.id, status: isNcupdError(coded, 'NCUPD_NOTIFY_DEFERRED') ? 'deferred' : 'failed', ms: ms(), error: coded };
  }
}

/** Sends to all notifiers in parallel; resolves with one outcome per notifier, in their order. Never rejects. */
export async function notify(notifiers: readonly Notifier[], notification: Notification, options: NotifyOptions = {}): Promise<NotifyOutcome[]> {
  const masked = redactNotification(notification, options.secrets);
  return Promise.all(notifiers.map((notifier) => sendOne(notifier, masked, options.signal)));
}

/** One log line per outcome, for the daemon's log: `email[1] failed NCUPD_NOTIFY_FAILED: ...`. */
export function outcomeLine(outcome: NotifyOutcome): string {
  const why = outcome.error ? ` ${outcome.error.code}: ${outcome.error.message}` : '';
  return `notification ${outcome.notifier} ${outcome.status} (${outcome.ms} ms)${why}`;
}
