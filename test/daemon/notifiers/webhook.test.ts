// Webhook notifications against a real HTTP server on 127.0.0.1: each preset's shape, the bearer
// token from a root-only file, and failures (HTTP 500, no answer) reported as outcomes, not thrown.
import assert from 'node:assert/strict';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotificationConfig } from '../../../daemon/config/schema.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { notify } from '../../../daemon/notifiers/notify.js';
import { createWebhookNotifier, type WebhookConfig } from '../../../daemon/notifiers/webhook/index.js';
import { makeTempDir, writeSecretFile } from '../../fixtures/harness/temp-files.js';
import { startHttpSink, type HttpSink } from './http-sink.js';
import { rolledBack, run, updated } from './samples.js';

const TOKEN = 'syt_bm90LWEtcmVhbC10b2tlbg_0123456789abcdef';

describe('webhook notifier', function () {
  this.timeout(30_000);
  let sink: HttpSink;
  let dir: string;
  let tokenFile: string;
  before(async () => {
    sink = await startHttpSink();
    dir = await makeTempDir('ncupd-webhook');
    tokenFile = join(dir, 'token');
    await writeSecretFile(tokenFile, `${TOKEN}\n`);
  });
  beforeEach(() => {
    sink.received.length = 0;
    sink.answer = (_request, response) => void response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  after(async () => {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  });

  const webhook = (config: Partial<WebhookConfig>, timeoutMs?: number) =>
    createWebhookNotifier({ type: 'webhook', url: `${sink.url}/hook`, preset: 'generic', when: 'always', ...config } satisfies NotificationConfig, 'webhook[0]', { timeoutMs });

  it('generic: POSTs ncupd\'s JSON for a success and a failure, with the bearer token', async () => {
    const notifier = webhook({ tokenFile });
    const outcomes = [...await notify([notifier], run(updated)), ...await notify([notifier], run(rolledBack))];
    assert.deepEqual(outcomes.map((o) => o.status), ['sent', 'sent']);
    assert.equal(sink.received.length, 2);
    const [ok, bad] = sink.received.map((r) => ({ ...r, json: JSON.parse(r.body) as Record<string, unknown> }));
    for (const r of [ok!, bad!]) {
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/hook');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
      assert.ok(!r.body.includes(TOKEN), 'the token travels in the header only');
      assert.equal(r.json.event, 'run');
      assert.equal(r.json.instance, 'cloud');
    }
    assert.equal(ok!.json.result, 'updated');
    assert.equal(ok!.json.subject, 'ncupd: cloud updated 33.0.5 -> 33.0.6');
    assert.equal(ok!.json.severity, 'info');
    assert.equal((ok!.json.summary as { txid: string }).txid, updated.txid);
    assert.equal(bad!.json.result, 'rolled-back');
    assert.equal(bad!.json.subject, 'ncupd: cloud ROLLED BACK to 33.0.5 (update to 33.0.6 failed)');
    assert.match(String(bad!.json.text), /Back on 33\.0\.5/);
    assert.match(String(bad!.json.next), /ncupd now --instance cloud/);
  });

  it('ntfy: the text as body, subject, priority and tags as headers', async () => {
    await notify([webhook({ preset: 'ntfy', url: `${sink.url}/ncupd-alerts` })], run(rolledBack));
    const [r] = sink.received;
    assert.equal(r?.method, 'POST');
    assert.equal(r?.path, '/ncupd-alerts');
    assert.equal(r?.headers.title, 'ncupd: cloud ROLLED BACK to 33.0.5 (update to 33.0.6 failed)');
    assert.equal(r?.headers.priority, '4');
    assert.equal(r?.headers.tags, 'warning,ncupd,cloud');
    assert.equal(r?.headers.authorization, undefined);
    assert.match(r?.body ?? '', /^What happened:\n {2}rolled-back/);
    assert.match(r?.body ?? '', /Reason: occ upgrade exited 1/);
  });

  it('ntfy: encodes a non-ASCII title as RFC 2047', async () => {
    await notify([webhook({ preset: 'ntfy' })], { kind: 'alert', instance: 'cloud', message: 'Datenbank nicht erreichbar – Wartungsmodus bleibt an' });
    const title = String(sink.received[0]?.headers.title);
    const encoded = /^=\?UTF-8\?B\?(.+)\?=$/.exec(title);
    assert.ok(encoded, title);
    assert.equal(Buffer.from(encoded[1]!, 'base64').toString('utf8'), 'ncupd: cloud ALERT: Datenbank nicht erreichbar – Wartungsmodus bleibt an');
    assert.equal(sink.received[0]?.headers.priority, '5');
  });

  it('matrix: PUTs an m.room.message under a fresh transaction id', async () => {
    const room = `${sink.url}/_matrix/client/v3/rooms/${encodeURIComponent('!abc:example.org')}/send/m.room.message`;
    const notifier = webhook({ preset: 'matrix', url: room, tokenFile });
    await notify([notifier], run(updated));
    await notify([notifier], run(rolledBack));
    const [first, second] = sink.received;
    for (const r of [first!, second!]) {
      assert.equal(r.method, 'PUT');
      // fetch may normalise %21 to "!" (both name the same room).
      assert.match(r.path, /^\/_matrix\/client\/v3\/rooms\/(%21|!)abc%3Aexample\.org\/send\/m\.room\.message\/ncupd-\d+-[0-9a-f]{12}$/);
      assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
    }
    assert.notEqual(first!.path, second!.path);
    const event = JSON.parse(second!.body) as { msgtype: string; body: string; format: string; formatted_body: string };
    assert.equal(event.msgtype, 'm.text');
    assert.match(event.body, /^ncupd: cloud ROLLED BACK to 33\.0\.5/);
    assert.equal(event.format, 'org.matrix.custom.html');
    assert.match(event.formatted_body, /^<p><strong>ncupd: cloud ROLLED BACK to 33\.0\.5 \(update to 33\.0\.6 failed\)<\/strong><\/p>/);
  });

  it('reports an HTTP 500 as a failed outcome, with the answer and without the token the server echoed', async () => {
    sink.answer = (request, response) => void response.writeHead(500).end(`internal error for ${String(request.headers.authorization)}`);
    const [outcome] = await notify([webhook({ tokenFile })], run(rolledBack));
    assert.equal(outcome?.status, 'failed');
    assert.ok(isNcupdError(outcome?.error, 'NCUPD_NOTIFY_FAILED'));
    assert.match(outcome.error.message, /^webhook\[0\]: POST http:\/\/127\.0\.0\.1:\d+\/\.\.\. answered HTTP 500: internal error for Bearer \*\*\*$/);
    assert.ok(!outcome.error.message.includes(TOKEN));
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    sink.answer = () => 'hang';
    const started = Date.now();
    const [outcome] = await notify([webhook({}, 500)], run(rolledBack));
    assert.ok(Date.now() - started < 5_000, 'bounded by the timeout');
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.error?.message ?? '', /no answer within 0\.5 s/);
  });

  it('reports a refused connection as a failed outcome', async () => {
    const closed = await startHttpSink();
    await closed.close();
    const [outcome] = await notify([webhook({ url: `${closed.url}/hook` })], run(rolledBack));
    assert.equal(outcome?.status, 'failed');
    assert.match(outcome?.error?.message ?? '', /ECONNREFUSED/);
  });

  it('refuses a token file that group or others can read, and sends nothing', async () => {
    const loose = join(dir, 'loose-token');
    await writeSecretFile(loose, TOKEN);
    await chmod(loose, 0o644);
    const notifier = webhook({ tokenFile: loose });
    await assert.rejects(notifier.check(), (error) => isNcupdError(error, 'NCUPD_NOTIFY_SECRET_UNSAFE') && /mode 0644, readable by group or others/.test(error.message));
    const [outcome] = await notify([notifier], run(rolledBack));
    assert.equal(outcome?.error?.code, 'NCUPD_NOTIFY_SECRET_UNSAFE');
    assert.equal(sink.received.length, 0);
    assert.ok(!outcome.error.message.includes(TOKEN));
  });

  it('sends an on-failure webhook nothing for a successful update', async () => {
    const [outcome] = await notify([webhook({ when: 'on-failure' })], run(updated));
    assert.equal(outcome?.status, 'not-wanted');
    assert.equal(sink.received.length, 0);
  });
});
