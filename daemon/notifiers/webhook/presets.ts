// The body shapes a webhook can take (schema: `preset`). Each turns one message into one request.
import { randomBytes } from 'node:crypto';
import type { NotificationMessage, Severity } from '../message.js';
import type { Notification } from '../notifier.js';

export type WebhookPreset = 'generic' | 'ntfy' | 'matrix';

export interface PresetRequest {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

type Shape = (url: string, message: NotificationMessage, notification: Notification) => PresetRequest;

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** The message without its first line (the subject), for channels that show the subject apart. */
function bodyOf(message: NotificationMessage): string {
  return message.text.split('\n').slice(2).join('\n');
}

/** ncupd's own JSON: stable keys for scripts; the full run summary (never secrets) under `summary`. */
const generic: Shape = (url, message, notification) => ({
  method: 'POST', url, headers: JSON_TYPE,
  body: JSON.stringify({
    event: message.event, instance: message.instance, result: message.result, severity: message.severity,
    subject: message.subject, text: message.text, state: message.state, next: message.next,
    ...(notification.kind === 'run' ? { summary: notification.summary } : { alert: { message: notification.message, txid: notification.txid, at: notification.at } }),
    sentAt: new Date().toISOString(),
  }),
});

const NTFY_PRIORITY: Record<Severity, string> = { info: '3', warning: '4', critical: '5' };
const NTFY_TAG: Record<Severity, string> = { info: 'white_check_mark', warning: 'warning', critical: 'rotating_light' };

/** HTTP headers carry Latin-1 only; ntfy decodes RFC 2047 encoded words (ntfy 2.4+). */
function headerText(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** ntfy's plain publish API: the message is the body, the rest travels in headers (docs.ntfy.sh/publish). */
const ntfy: Shape = (url, message) => ({
  method: 'POST', url,
  headers: {
    'Content-Type': 'text/plain; charset=utf-8',
    Title: headerText(message.subject),
    Priority: NTFY_PRIORITY[message.severity],
    Tags: headerText(`${NTFY_TAG[message.severity]},ncupd,${message.instance}`),
  },
  body: bodyOf(message),
});

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Matrix client-server API: `PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`.
 * The configured URL ends in `/send/m.room.message`; the transaction id is appended here, fresh per message.
 */
const matrix: Shape = (url, message) => {
  const txnId = `ncupd-${Date.now()}-${randomBytes(6).toString('hex')}`;
  const html = [`<p><strong>${escapeHtml(message.subject)}</strong></p>`, ...bodyOf(message).split('\n\n').map((part) => `<p>${escapeHtml(part).replace(/\n/g, '<br>')}</p>`)].join('');
  return {
    method: 'PUT', url: `${url.replace(/\/+$/, '')}/${encodeURIComponent(txnId)}`, headers: JSON_TYPE,
    body: JSON.stringify({ msgtype: 'm.text', body: message.text, format: 'org.matrix.custom.html', formatted_body: html }),
  };
};

export const webhookPresets: Readonly<Record<WebhookPreset, Shape>> = Object.freeze({ generic, ntfy, matrix });
