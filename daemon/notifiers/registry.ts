// Every notifier type by its config `type`, listed by hand (shared/style.md, point 1).
import type { InstanceConfig, NotificationConfig } from '../config/schema.js';
import type { Host } from '../hosts/host.js';
import { createEmailNotifier } from './email/index.js';
import { createNextcloudNotifier } from './nextcloud/index.js';
import type { Notifier, NotifierType } from './notifier.js';
import { createWebhookNotifier } from './webhook/index.js';

export interface NotifierDeps {
  readonly instances: readonly InstanceConfig[];
  readonly hostFor: (instance: InstanceConfig) => Host;
  /** Bound of one delivery (HTTP request, SMTP step, occ call); each type has its own default. */
  readonly timeoutMs?: number;
  /** Extra trusted CA certificates (PEM) for SMTP: tests with a self-signed server. */
  readonly smtpCa?: string;
}

type Factories = { readonly [T in NotifierType]: (config: Extract<NotificationConfig, { type: T }>, id: string, deps: NotifierDeps) => Notifier };

export const notifierFactories: Factories = Object.freeze({
  webhook: (config, id, deps) => createWebhookNotifier(config, id, { timeoutMs: deps.timeoutMs }),
  email: (config, id, deps) => createEmailNotifier(config, id, { timeoutMs: deps.timeoutMs, ca: deps.smtpCa }),
  nextcloud: (config, id, deps) => createNextcloudNotifier(config, id, deps),
});

function build<T extends NotifierType>(config: Extract<NotificationConfig, { type: T }>, id: string, deps: NotifierDeps): Notifier {
  // TypeScript cannot correlate `config.type` with the factory it picks; the mapped type above does.
  return (notifierFactories[config.type] as Factories[T])(config, id, deps);
}

/** One notifier per `notifications` entry, named by type and place (`webhook[0]`, `email[1]`). */
export function createNotifiers(configs: readonly NotificationConfig[], deps: NotifierDeps): Notifier[] {
  return configs.map((config, index) => build(config, `${config.type}[${index}]`, deps));
}
