// Email notifications against a real SMTP server (smtp-server) on 127.0.0.1, with a self-signed
// certificate that openssl makes through the host: STARTTLS and implicit TLS with a login, the
// STARTTLS requirement, a refused login, and plain SMTP on loopback.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { NotificationConfig } from '../../../daemon/config/schema.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { createEmailNotifier, type EmailConfig } from '../../../daemon/notifiers/email/index.js';
import { notify } from '../../../daemon/notifiers/notify.js';
import { makeTempDir, writeSecretFile } from '../../fixtures/harness/temp-files.js';
import { rollbackFailed, run, updated } from './samples.js';

const PASSWORD = 'smtp-S3cret!pass/word';

interface Delivered {
  readonly raw: string;
  readonly secure: boolean;
  readonly user: unknown;
  readonly from: string;
  readonly to: string[];
}

interface SmtpDouble {
  readonly port: number;
  readonly delivered: Delivered[];
  close(): Promise<void>;
}

async function startSmtp(options: { secure: boolean; key?: string; cert?: string; disabledCommands?: string[]; auth: boolean }): Promise<SmtpDouble> {
  const delivered: Delivered[] = [];
  const server = new SMTPServer({
    secure: options.secure, key: options.key, cert: options.cert, logger: false,
    // A server without STARTTLS at all, and one that would take a login in clear text: ncupd must refuse to send.
    disabledCommands: options.disabledCommands, allowInsecureAuth: options.disabledCommands?.includes('STARTTLS'),
    authOptional: !options.auth, authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'ncupd' && auth.password === PASSWORD) callback(null, { user: 'ncupd' });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        delivered.push({
          raw: Buffer.concat(chunks).toString('utf8'), secure: session.secure, user: session.user,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, delivered, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('email notifier', function () {
  this.timeout(60_000);
  const host = createLocalHost();
  let dir: string;
  let key: string;
  let cert: string;
  let passwordFile: string;
  const servers: SmtpDouble[] = [];
  const smtp = async (options: Parameters<typeof startSmtp>[0]) => {
    const server = await startSmtp(options);
    servers.push(server);
    return server;
  };

  before(async () => {
    dir = await makeTempDir('ncupd-smtp');
    await host.run({
      file: 'openssl', timeoutMs: 60_000,
      args: ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
        '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    });
    [key, cert] = await Promise.all([readFile(join(dir, 'key.pem'), 'utf8'), readFile(join(dir, 'cert.pem'), 'utf8')]);
    passwordFile = join(dir, 'smtp-password');
    await writeSecretFile(passwordFile, `${PASSWORD}\n`);
  });
  after(async () => {
    for (const server of servers) await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const email = (config: Partial<EmailConfig>, trust: 'test-ca' | 'system' = 'test-ca') => createEmailNotifier({
    type: 'email', host: '127.0.0.1', port: 25, secure: 'starttls', user: 'ncupd', passwordFile,
    from: 'ncupd@example.test', to: ['ops@example.test', 'oncall@example.test'], when: 'always', ...config,
  } satisfies NotificationConfig, 'email[1]', { timeoutMs: 10_000, ca: trust === 'test-ca' ? cert : undefined });

  it('STARTTLS with a login: a success and a failure arrive with subject, state and next step, and no password', async () => {
    const server = await smtp({ secure: false, key, cert, auth: true });
    const notifier = email({ port: server.port });
    const outcomes = [...await notify([notifier], run(updated)), ...await notify([notifier], run(rollbackFailed))];
    assert.deepEqual(outcomes.map((o) => [o.status, o.error?.message]), [['sent', undefined], ['sent', undefined]]);
    assert.equal(server.delivered.length, 2);
    for (const d of server.delivered) {
      assert.equal(d.secure, true, 'upgraded with STARTTLS before the login');
      assert.equal(d.user, 'ncupd');
      assert.equal(d.from, 'ncupd@example.test');
      assert.deepEqual(d.to, ['ops@example.test', 'oncall@example.test']);
      assert.ok(!d.raw.includes(PASSWORD) && !d.raw.includes(Buffer.from(PASSWORD).toString('base64')), 'no password in the message');
    }
    const [ok, bad] = await Promise.all(server.delivered.map((d) => simpleParser(d.raw)));
    assert.equal(ok!.subject, 'ncupd: cloud updated 33.0.5 -> 33.0.6');
    assert.match(ok!.text ?? '', /Instance now:\n {2}On 33\.0\.6, checks passed, maintenance mode off\./);
    assert.equal(ok!.headers.get('x-ncupd-result'), 'updated');
    assert.equal(bad!.subject, 'ncupd: cloud ROLLBACK INCOMPLETE, maintenance mode ON');
    assert.match(bad!.text ?? '', /Not undone: database restore/);
    assert.match(bad!.text ?? '', /What to do:\n {2}Fix what is named above, then run `ncupd recover --instance cloud`/);
    assert.equal(bad!.headers.get('x-ncupd-instance'), 'cloud');
  });

  it('implicit TLS (secure: tls) delivers over an encrypted connection', async () => {
    const server = await smtp({ secure: true, key, cert, auth: true });
    const [outcome] = await notify([email({ port: server.port, secure: 'tls' })], run(rollbackFailed));
    assert.equal(outcome?.status, 'sent', outcome?.error?.message);
    assert.equal(server.delivered[0]?.secure, true);
  });

  it('refuses to log in over a server that does not offer STARTTLS', async () => {
    const server = await smtp({ secure: false, key, cert, disabledCommands: ['STARTTLS'], auth: true });
    const [outcome] = await notify([email({ port: server.port })], run(rollbackFailed));
    assert.equal(outcome?.status, 'failed');
    assert.equal(outcome?.error?.code, 'NCUPD_NOTIFY_FAILED');
    assert.match(outcome?.error?.message ?? '', /^email\[1\]: SMTP 127\.0\.0\.1:\d+ \(starttls\): .*STARTTLS/i);
    assert.equal(server.delivered.length, 0);
  });

  it('refuses a certificate it does not trust', async () => {
    const server = await smtp({ secure: false, key, cert, auth: true });
    const [outcome] = await notify([email({ port: server.port }, 'system')], run(rollbackFailed));
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.error?.message ?? '', /self[- ]signed|certificate/i);
    assert.equal(server.delivered.length, 0);
  });

  it('reports a refused login without the password', async () => {
    const server = await smtp({ secure: false, key, cert, auth: true });
    const wrong = join(dir, 'wrong-password');
    await writeSecretFile(wrong, 'not-the-password-42');
    const [outcome] = await notify([email({ port: server.port, passwordFile: wrong })], run(rollbackFailed));
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.error?.message ?? '', /Invalid (login|username or password)/i);
    assert.ok(!outcome?.error?.message.includes('not-the-password-42'));
    assert.equal(server.delivered.length, 0);
  });

  it('secure: none sends plain SMTP, without a login, to a relay on loopback', async () => {
    const server = await smtp({ secure: false, auth: false });
    const [outcome] = await notify([email({ port: server.port, secure: 'none', user: undefined, passwordFile: undefined }, 'system')], run(updated));
    assert.equal(outcome?.status, 'sent', outcome?.error?.message);
    assert.equal(server.delivered[0]?.secure, false);
    assert.equal((await simpleParser(server.delivered[0]!.raw)).subject, 'ncupd: cloud updated 33.0.5 -> 33.0.6');
  });
});
