// Nextcloud notifier: an admin notification in the instance itself (`occ notification:generate`,
// from the shipped notifications app). Nextcloud loads no apps in maintenance mode, so this channel
// is silent exactly when things went worst: it refuses with NCUPD_NOTIFY_DEFERRED then, and webhook
// or email carry the news (docs/monitoring.md).
import type { InstanceConfig, NotificationConfig } from '../../config/schema.js';
import { occ, occStatus } from '../../engine/occ.js';
import { isNcupdError, NcupdError } from '../../errors/ncupd-error.js';
import type { Host } from '../../hosts/host.js';
import { composeMessage } from '../message.js';
import type { Notifier } from '../notifier.js';

export type NextcloudNotifierConfig = Extract<NotificationConfig, { type: 'nextcloud' }>;

export interface NextcloudDeps {
  readonly instances: readonly InstanceConfig[];
  /** The host an instance lives on (local, or SSH). */
  readonly hostFor: (instance: InstanceConfig) => Host;
  /** Bound of each occ call; default 60 s. */
  readonly timeoutMs?: number;
}

/** Limits of `notification:generate` (notifications app): longer texts are refused. */
const SHORT_MAX = 255;
const LONG_MAX = 4000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

export function createNextcloudNotifier(config: NextcloudNotifierConfig, id: string, deps: NextcloudDeps): Notifier {
  const timeoutMs = deps.timeoutMs ?? 60_000;
  return {
    id, type: 'nextcloud', when: config.when,
    async check() {
      const bad = config.users.find((user) => user.startsWith('-'));
      if (bad) throw new NcupdError('NCUPD_CONFIG_INVALID', { detail: `${id}: user "${bad}" starts with "-" and would be read as an option by occ` });
    },
    async send(notification, signal) {
      const name = notification.kind === 'run' ? notification.summary.instance : notification.instance;
      const instance = deps.instances.find((candidate) => candidate.name === name);
      if (!instance) throw new NcupdError('NCUPD_NOTIFY_FAILED', { detail: `${id}: no configured instance named "${name}" to notify in` });
      const host = deps.hostFor(instance);
      const deferred = (why: string, cause?: unknown) => new NcupdError('NCUPD_NOTIFY_DEFERRED', { instance: name, detail: `${id}: not sent to ${name}: ${why}`, cause });
      let status;
      try {
        status = await occStatus(host, instance, { signal, timeoutMs });
      } catch (error) {
        throw deferred(`occ status could not run (${isNcupdError(error) ? error.code : 'error'})`, error);
      }
      if (!status) throw deferred('occ status did not answer, Nextcloud is not working');
      if (status.maintenance) throw deferred('maintenance mode is on, and Nextcloud loads no apps (so no notifications) in maintenance mode');
      if (status.needsDbUpgrade) throw deferred('Nextcloud needs `occ upgrade` and loads no apps until then');

      const message = composeMessage(notification);
      const short = clip(message.subject, SHORT_MAX);
      const long = clip(message.text.split('\n').slice(2).join('\n'), LONG_MAX);
      const failures: string[] = [];
      for (const user of config.users) {
        // `--long-message=<text>` in one word: a text starting with "-" cannot be taken for an option.
        const result = await occ(host, instance, ['notification:generate', user, short, `--long-message=${long}`], { signal, timeoutMs });
        if (result.exitCode !== 0) failures.push(`${user}: exit ${result.exitCode ?? result.signal}: ${(result.stderr.trim() || result.stdout.trim()).split('\n').filter(Boolean).slice(-2).join(' ')}`);
      }
      if (failures.length > 0) {
        throw new NcupdError('NCUPD_NOTIFY_FAILED', {
          instance: name,
          detail: `${id}: notification:generate failed for ${failures.length} of ${config.users.length} user(s) on ${name}: ${failures.join('; ')}`,
          hint: 'Check that each user exists and that the notifications app is enabled (`occ app:enable notifications`).',
        });
      }
    },
  };
}
