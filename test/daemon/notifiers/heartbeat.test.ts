// The heartbeat GETs its URL against a real HTTP server, and reports (never throws) when the monitor is down or slow.
import assert from 'node:assert/strict';
import { pingHeartbeat } from '../../../daemon/notifiers/heartbeat.js';
import { startHttpSink, type HttpSink } from './http-sink.js';

describe('heartbeat', function () {
  this.timeout(30_000);
  let sink: HttpSink;
  before(async () => {
    sink = await startHttpSink();
  });
  after(() => sink.close());

  it('pings the URL with a GET', async () => {
    sink.answer = (_request, response) => void response.writeHead(200).end('OK');
    const result = await pingHeartbeat(`${sink.url}/ping/5f1c6c2e-aaaa-bbbb-cccc-000000000001`);
    assert.equal(result.ok, true);
    assert.equal(result.status, 200);
    assert.deepEqual(sink.received.map((r) => [r.method, r.path]), [['GET', '/ping/5f1c6c2e-aaaa-bbbb-cccc-000000000001']]);
  });

  it('reports an error answer without the ping id, which is the secret of the check', async () => {
    sink.answer = (_request, response) => void response.writeHead(404).end('not found');
    const result = await pingHeartbeat(`${sink.url}/ping/5f1c6c2e-aaaa-bbbb-cccc-000000000002`);
    assert.equal(result.ok, false);
    assert.equal(result.status, 404);
    assert.match(result.error ?? '', /^GET http:\/\/127\.0\.0\.1:\d+\/\.\.\. answered HTTP 404$/);
  });

  it('gives up after the timeout', async () => {
    sink.answer = () => 'hang';
    const result = await pingHeartbeat(`${sink.url}/ping/slow`, { timeoutMs: 300 });
    assert.equal(result.ok, false);
    assert.match(result.error ?? '', /no answer within 0\.3 s/);
    assert.ok(result.ms < 5_000);
  });
});
