// Email notifier: SMTP through nodemailer (docs/dependencies.md). Needs nothing from the
// instance, so it reports a Nextcloud that is down.
import type { NotificationConfig } from '../../config/schema.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { redact } from '../../hosts/redact.js';
import { composeMessage } from '../message.js';
import type { Notifier } from '../notifier.js';
import { readSecretFile } from '../secret-file.js';

export type EmailConfig = Extract<NotificationConfig, { type: 'email' }>;

export interface EmailOptions {
  /** Bounds connecting, the greeting and each command; default 15 s. */
  readonly timeoutMs?: number;
  /** Extra trusted CA certificates (PEM): tests with a self-signed server. Operators use NODE_EXTRA_CA_CERTS. */
  readonly ca?: string;
}

const SECURITY = {
  // Plain connection, then STARTTLS, refused when the server does not offer it.
  starttls: { secure: false, requireTLS: true, ignoreTLS: false },
  tls: { secure: true, requireTLS: false, ignoreTLS: false },
  none: { secure: false, requireTLS: false, ignoreTLS: true },
} as const satisfies Record<EmailConfig['secure'], { secure: boolean; requireTLS: boolean; ignoreTLS: boolean }>;

export function createEmailNotifier(config: EmailConfig, id: string, options: EmailOptions = {}): Notifier {
  const readPassword = () => (config.passwordFile ? readSecretFile(config.passwordFile, 'SMTP password') : Promise.resolve(undefined));
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    id, type: 'email', when: config.when,
    async check() {
      await readPassword();
    },
    async send(notification, signal) {
      const password = await readPassword();
      const message = composeMessage(notification);
      // nodemailer loads with the first mail: the idle daemon does not carry it (docs/performance.md).
      const { createTransport } = await import('nodemailer');
      const transport = createTransport({
        host: config.host, port: config.port, ...SECURITY[config.secure],
        auth: config.user ? { user: config.user, pass: password ?? '' } : undefined,
        connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs,
        tls: options.ca ? { ca: options.ca } : undefined,
      });
      const abort = () => transport.close();
      signal?.addEventListener('abort', abort, { once: true });
      try {
        if (signal?.aborted) throw new Error('cancelled');
        await transport.sendMail({
          from: config.from, to: [...config.to], subject: message.subject, text: message.text,
          headers: { 'X-Ncupd-Instance': message.instance, 'X-Ncupd-Result': message.result },
        });
      } catch (error) {
        const why = signal?.aborted ? 'cancelled' : error instanceof Error ? error.message : String(error);
        // SMTP servers may echo what they were sent; the password never leaves masked.
        throw new NcupdError('NCUPD_NOTIFY_FAILED', { detail: `${id}: SMTP ${config.host}:${config.port} (${config.secure}): ${redact(why, password ? [password] : [])}` });
      } finally {
        signal?.removeEventListener('abort', abort);
        transport.close();
      }
    },
  };
}
