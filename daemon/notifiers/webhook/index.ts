// Webhook notifier: one HTTP request per notification, shaped by a preset (generic JSON, ntfy,
// Matrix). Works while Nextcloud is down: it needs nothing from the instance.
import type { NotificationConfig } from '../../config/schema.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { displayUrl, httpRequest } from '../http.js';
import { composeMessage } from '../message.js';
import type { Notifier } from '../notifier.js';
import { readSecretFile } from '../secret-file.js';
import { webhookPresets } from './presets.js';

export type WebhookConfig = Extract<NotificationConfig, { type: 'webhook' }>;

export interface WebhookOptions {
  readonly timeoutMs?: number;
}

export function createWebhookNotifier(config: WebhookConfig, id: string, options: WebhookOptions = {}): Notifier {
  const readToken = () => (config.tokenFile ? readSecretFile(config.tokenFile, 'webhook token') : Promise.resolve(undefined));
  return {
    id, type: 'webhook', when: config.when,
    async check() {
      await readToken();
    },
    async send(notification, signal) {
      const token = await readToken();
      const request = webhookPresets[config.preset](config.url, composeMessage(notification), notification);
      const headers = token ? { ...request.headers, Authorization: `Bearer ${token}` } : request.headers;
      const secrets = token ? [token] : [];
      let answer;
      try {
        answer = await httpRequest({ ...request, headers, signal, timeoutMs: options.timeoutMs, secrets });
      } catch (error) {
        throw new NcupdError('NCUPD_NOTIFY_FAILED', { detail: `${id}: ${error instanceof Error ? error.message : String(error)}`, cause: error });
      }
      if (answer.status < 200 || answer.status > 299) {
        throw new NcupdError('NCUPD_NOTIFY_FAILED', {
          detail: `${id}: ${request.method} ${displayUrl(request.url)} answered HTTP ${answer.status}${answer.body.trim() ? `: ${answer.body.trim()}` : ''}`,
        });
      }
    },
  };
}
