// The Notifier seam (shared/design.md, "Seams"): who hears about a run. One folder per
// implementation, listed by hand in registry.ts; notify.ts sends to all of them.
import type { NotificationConfig } from '../config/schema.js';
import type { ProgressEvent } from '../engine/context.js';
import type { RunSummary } from '../engine/journal-types.js';

/** What the operator hears about: a finished run, or an alert raised while a run goes on. */
export type Notification =
  | { readonly kind: 'run'; readonly summary: RunSummary }
  /** A run needs attention now, for example a rollback waiting for a stopped database server. */
  | { readonly kind: 'alert'; readonly instance: string; readonly message: string; readonly txid?: string; readonly at?: string };

export type NotifierType = NotificationConfig['type'];
export type NotifyWhen = NotificationConfig['when'];

export interface Notifier {
  /** Names the notifier in outcomes and logs: its type and place in the config (`webhook[0]`). */
  readonly id: string;
  readonly type: NotifierType;
  readonly when: NotifyWhen;
  /** Delivers one notification or throws an NcupdError (`NCUPD_NOTIFY_FAILED`, `NCUPD_NOTIFY_DEFERRED`). */
  send(notification: Notification, signal?: AbortSignal): Promise<void>;
  /** Start-up check of what can be checked without sending (secret files root-only and readable). */
  check(): Promise<void>;
}

/** Results that mean the operator must look: something failed, whatever state it left. */
const FAILURES: ReadonlySet<RunSummary['result']> = new Set(['failed', 'rolled-back', 'rollback-failed']);

/**
 * `on-failure`: failed, rolled-back, rollback-failed, and every alert. `always` adds runs that did
 * something or need a decision: `updated`, and `blocked` (approval needed, PHP too old: without a
 * message the instance would stay behind in silence). `up-to-date` and `held` are the normal quiet
 * state of every check, so they are never sent; the daemon sends a `blocked` decision once per
 * offered release, not on every check.
 */
export function shouldSend(when: NotifyWhen, notification: Notification): boolean {
  if (notification.kind === 'alert') return true;
  const { result } = notification.summary;
  if (FAILURES.has(result)) return true;
  return when === 'always' && (result === 'updated' || result === 'blocked');
}

/** The notification for a progress event that must reach the operator now (`alert`); undefined for the rest. */
export function alertFrom(instance: string, event: ProgressEvent, txid?: string): Notification | undefined {
  return event.type === 'alert' ? { kind: 'alert', instance, message: event.message, txid, at: new Date().toISOString() } : undefined;
}
