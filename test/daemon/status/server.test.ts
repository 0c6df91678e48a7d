// The status endpoint over real HTTP on loopback, against a StatusSource double (the daemon's real
// source is tested with the daemon). Every route, the token rules, and what a refused request does not do.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { startStatusServer, type StatusServer } from '../../../daemon/status/server.js';
import { MAX_BODY_BYTES } from '../../../daemon/status/http-io.js';
import { createTokenFile } from '../../../daemon/status/token.js';
import { createStatusDouble, type StatusDouble } from './status-double.js';

describe('status endpoint (HTTP)', () => {
  let work: string;
  let tokenFile: string;
  let token: string;
  let double: StatusDouble;
  let server: StatusServer;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ncupd-status-'));
    tokenFile = join(work, 'api-token');
    token = await createTokenFile(tokenFile);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    double = createStatusDouble();
    server = await startStatusServer({ source: double.source, listen: '127.0.0.1', port: 0, tokenFile });
  });
  afterEach(async () => {
    await server.close();
  });

  const postRun = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) => fetch(`${server.url}/runs`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  describe('GET /status', () => {
    it('returns every field of the model and nothing else, unknown values as null', async () => {
      const response = await fetch(`${server.url}/status`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body = await response.json() as Record<string, unknown> & { instances: Record<string, unknown>[] };
      assert.deepEqual(Object.keys(body).sort(), ['configError', 'configLoadedAt', 'configPath', 'instances', 'pid', 'startedAt', 'version']);
      assert.equal(body.configError, null);
      assert.deepEqual(body.instances.map((i) => i.name), ['cloud', 'family', 'office', 'archive']);
      const expectedKeys = ['available', 'dataSnapshot', 'decision', 'firstSeenAt', 'host', 'installedVersion', 'lastCheckAt', 'lastCheckError', 'lastRun', 'lastSnapshot',
        'maintenance', 'name', 'nextWindow', 'openTransactions', 'path', 'paused', 'reason', 'rollbackCount', 'running', 'soakEndsAt', 'updateCount', 'windowOpen'];
      for (const instance of body.instances) assert.deepEqual(Object.keys(instance).sort(), expectedKeys);
      const [cloud, family, office, archive] = body.instances;
      assert.deepEqual(cloud?.lastRun, { ...double.status.instances[0]?.lastRun, failedStage: null, errorCode: null, message: null });
      assert.deepEqual(Object.keys(family?.lastRun ?? {}).sort(), ['endedAt', 'errorCode', 'failedStage', 'from', 'message', 'result', 'startedAt', 'to', 'txid', 'windowMs']);
      assert.equal((family?.lastRun as { result: string }).result, 'rolled-back');
      assert.deepEqual(office?.maintenance, { on: true, since: double.status.instances[2]?.maintenance?.since });
      assert.equal(office?.openTransactions, 1);
      assert.equal(archive?.paused, true);
      assert.equal(archive?.lastRun, null);
      // Issue 9: an instance whose data directory is not snapshotted says so, as a risk.
      assert.deepEqual(cloud?.dataSnapshot, { method: 'btrfs', recommended: 'btrfs', risk: null });
      assert.equal((archive?.dataSnapshot as { method: string }).method, 'none');
      assert.match((archive?.dataSnapshot as { risk: string }).risk, /not snapshotted/);
    });

    it('does not pass on fields the daemon\'s objects carry beyond the model', async () => {
      const text = await (await fetch(`${server.url}/status`)).text();
      assert.ok(!text.includes('snapshotDir') && !text.includes('/var/lib/ncupd/snapshots'), text);
    });

    it('answers HEAD without a body', async () => {
      const response = await fetch(`${server.url}/status`, { method: 'HEAD' });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '');
    });

    it('answers 500 with neither message nor stack when the daemon fails', async () => {
      double.failStatus(new Error('EACCES: permission denied, open /var/lib/ncupd/history.jsonl'));
      const response = await fetch(`${server.url}/status`);
      assert.equal(response.status, 500);
      const text = await response.text();
      assert.deepEqual(JSON.parse(text), { error: 'internal error' });
      assert.ok(!text.includes('EACCES') && !text.includes('    at '), text);
    });
  });

  describe('GET /metrics', () => {
    type Sample = { name: string; labels: Record<string, string>; value: number };
    async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string>; helps: Set<string> }> {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const samples: Sample[] = [];
      const types = new Map<string, string>();
      const helps = new Set<string>();
      for (const line of (await response.text()).split('\n')) {
        if (line === '') continue;
        const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
        if (meta) {
          if (meta[1] === 'TYPE') types.set(meta[2] ?? '', meta[3] ?? '');
          else helps.add(meta[2] ?? '');
          continue;
        }
        const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        assert.ok(sample, `not a sample line: ${line}`);
        const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
        samples.push({ name: sample[1] ?? '', labels, value: Number(sample[3]) });
      }
      return { samples, types, helps };
    }
    const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    it('exposes the double\'s values, line by line', async () => {
      const { samples, types, helps } = await scrape();
      for (const s of samples) assert.ok(s.name.startsWith('ncupd_'), s.name);
      for (const name of new Set(samples.map((s) => s.name))) {
        assert.ok(helps.has(name), `HELP for ${name}`);
        assert.equal(types.get(name), name.endsWith('_total') ? 'counter' : 'gauge', name);
      }
      const [cloud, family, office, archive] = double.status.instances;
      assert.ok(cloud && family && office && archive);
      const seconds = (iso: string | undefined) => Date.parse(iso ?? '') / 1000;

      assert.equal(valueOf(samples, 'ncupd_daemon_start_time_seconds'), seconds(double.status.startedAt));
      assert.equal(valueOf(samples, 'ncupd_config_reload_failed'), 0);
      assert.equal(valueOf(samples, 'ncupd_daemon_info', { version: '0.1.0' }), 1);
      assert.equal(valueOf(samples, 'ncupd_instance_info', { nextcloud: 'family', host: 'family-vm', installed_version: '29.0.9', available_version: '30.0.5' }), 1);
      assert.equal(valueOf(samples, 'ncupd_instance_info', { nextcloud: 'cloud', installed_version: '30.0.5', available_version: '30.0.5' }), 1);

      const expected: Record<string, Record<string, number | undefined>> = {
        ncupd_update_available: { cloud: 0, family: 1, office: 1, archive: 1 },
        ncupd_maintenance_mode: { cloud: 0, family: 0, office: 1, archive: 0 },
        ncupd_paused: { cloud: 0, family: 0, office: 0, archive: 1 },
        ncupd_open_transactions: { cloud: 0, family: 0, office: 1, archive: 0 },
        ncupd_rollbacks_total: { cloud: 0, family: 1, office: 2, archive: 0 },
        ncupd_updates_total: { cloud: 4, family: 6, office: 11, archive: 0 },
        ncupd_last_run_success: { cloud: 1, family: 0, office: 0, archive: undefined },
        ncupd_last_run_timestamp_seconds: { cloud: seconds(cloud.lastRun?.endedAt), family: seconds(family.lastRun?.endedAt), office: seconds(office.lastRun?.endedAt), archive: undefined },
        ncupd_last_window_seconds: { cloud: 48.25, family: 131.4, office: undefined, archive: undefined },
        ncupd_last_snapshot_age_seconds: { cloud: 7260, family: 6350, office: 2640, archive: undefined },
        ncupd_last_snapshot_bytes: { cloud: 734_003_200, family: 2_254_857_830, office: 98_566_144, archive: undefined },
        ncupd_next_window_timestamp_seconds: { cloud: seconds(cloud.nextWindow), family: seconds(family.nextWindow), office: undefined, archive: seconds(archive.nextWindow) },
        ncupd_update_first_seen_timestamp_seconds: { cloud: undefined, family: seconds(family.firstSeenAt), office: seconds(office.firstSeenAt), archive: seconds(archive.firstSeenAt) },
        ncupd_run_in_progress: { cloud: 0, family: 0, office: 0, archive: 0 },
        ncupd_last_check_success: { cloud: 1, family: 1, office: 1, archive: 1 },
      };
      for (const [name, byInstance] of Object.entries(expected)) {
        for (const [instance, value] of Object.entries(byInstance)) {
          assert.equal(valueOf(samples, name, { nextcloud: instance }), value, `${name}{nextcloud="${instance}"}`);
        }
      }
      assert.equal(valueOf(samples, 'ncupd_update_decision', { nextcloud: 'archive', decision: 'hold' }), 1);
      assert.equal(valueOf(samples, 'ncupd_update_decision', { nextcloud: 'archive', decision: 'update' }), 0);
      assert.equal(valueOf(samples, 'ncupd_last_run_result', { nextcloud: 'office', result: 'rollback-failed' }), 1);
      assert.equal(valueOf(samples, 'ncupd_last_run_result', { nextcloud: 'office', result: 'rolled-back' }), 0);
      assert.equal(samples.filter((s) => s.name === 'ncupd_last_run_result' && s.value === 1).length, 3, 'one result per instance that has run');
      // Prometheus renames a scraped `instance` label (it is the target's): none is exposed.
      assert.ok(samples.every((s) => !('instance' in s.labels) && !('job' in s.labels)));
    });

    it('escapes label values', async () => {
      Object.assign(double.status.instances[3] ?? {}, { host: 'odd"host\\name\nx' });
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.ok(text.includes('host="odd\\"host\\\\name\\nx"'), text);
    });

    it('reports a failed config reload', async () => {
      Object.assign(double.status, { configError: 'instances[1].strategy: expected "archive" or "git"' });
      const { samples } = await scrape();
      assert.equal(valueOf(samples, 'ncupd_config_reload_failed'), 1);
    });
  });

  describe('GET /healthz', () => {
    it('answers 200 ok when healthy', async () => {
      const response = await fetch(`${server.url}/healthz`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'ok\n');
    });

    it('answers 503 with the detail when not, and when the check itself fails', async () => {
      double.setHealth({ ok: false, detail: 'scheduler has not ticked for 310 s' });
      let response = await fetch(`${server.url}/healthz`);
      assert.equal(response.status, 503);
      assert.equal(await response.text(), 'unhealthy: scheduler has not ticked for 310 s\n');
      double.setHealth('throw');
      response = await fetch(`${server.url}/healthz`);
      assert.equal(response.status, 503);
      assert.equal(await response.text(), 'unhealthy: health check failed\n');
    });
  });

  describe('POST /runs', () => {
    it('refuses a request without a token or with a wrong one (401), and starts nothing', async () => {
      const lastCharChanged = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
      const refused: Record<string, string>[] = [{}, { authorization: `Bearer ${lastCharChanged}` }, { authorization: `Bearer ${token}x` },
        { authorization: `Basic ${token}` }, { authorization: 'Bearer ' }, { authorization: token }];
      for (const headers of refused) {
        const response = await postRun({ instance: 'cloud' }, headers);
        assert.equal(response.status, 401, JSON.stringify(headers));
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="ncupd"');
      }
      // Authentication comes before the body is looked at.
      assert.equal((await postRun('not json', {})).status, 401);
      assert.deepEqual(double.startRunCalls, []);
    });

    it('starts a run with the token (202 and its txid)', async () => {
      const response = await postRun({ instance: 'cloud' });
      assert.equal(response.status, 202);
      assert.deepEqual(await response.json(), { txid: '20250603T120000Z-cloud-0001' });
      assert.deepEqual(double.startRunCalls, ['cloud']);
    });

    it('answers 409 with NCUPD_LOCKED when a transaction holds the instance', async () => {
      double.locked.add('office');
      const response = await postRun({ instance: 'office' });
      assert.equal(response.status, 409);
      const body = await response.json() as { code: string; error: string };
      assert.equal(body.code, 'NCUPD_LOCKED');
      assert.match(body.error, /20250603T030000Z-office-09be/);
    });

    it('answers 404 for an unknown instance', async () => {
      const response = await postRun({ instance: 'nope' });
      assert.equal(response.status, 404);
      assert.equal((await response.json() as { code: string }).code, 'NCUPD_INSTANCE_UNKNOWN');
    });

    it('answers 400 for a bad body, 415 for another content type, 413 past the size limit', async () => {
      for (const body of ['not json', '[]', '{}', '{"instance": 3}', '{"instance": ""}', '{"instance": "cloud", "force": true}', 'null']) {
        assert.equal((await postRun(body)).status, 400, body);
      }
      const form = await postRun('instance=cloud', { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(form.status, 415);
      const large = await postRun({ instance: 'cloud', padding: 'x'.repeat(MAX_BODY_BYTES) });
      assert.equal(large.status, 413);
      assert.deepEqual(double.startRunCalls, []);
    });

    it('reads the token file again: a rotated token takes effect, an opened-up file is refused (503)', async () => {
      const rotated = 'b'.repeat(64);
      await writeFile(tokenFile, `${rotated}\n`);
      try {
        assert.equal((await postRun({ instance: 'cloud' })).status, 401);
        assert.equal((await postRun({ instance: 'cloud' }, { authorization: `Bearer ${rotated}` })).status, 202);
        await chmod(tokenFile, 0o644);
        assert.equal((await postRun({ instance: 'cloud' }, { authorization: `Bearer ${rotated}` })).status, 503);
        assert.deepEqual(double.startRunCalls, ['cloud']);
      } finally {
        await chmod(tokenFile, 0o600);
        await writeFile(tokenFile, `${token}\n`);
      }
    });
  });

  describe('routing and start-up', () => {
    it('answers 404 for unknown paths and 405 (with Allow) for wrong methods', async () => {
      for (const path of ['/nope', '/status/', '/metrics.txt', '/runs/cloud', '/constructor', '/__proto__']) {
        assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
      }
      const postStatus = await fetch(`${server.url}/status`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(postStatus.status, 405);
      assert.equal(postStatus.headers.get('allow'), 'GET, HEAD');
      const getRuns = await fetch(`${server.url}/runs`);
      assert.equal(getRuns.status, 405);
      assert.equal(getRuns.headers.get('allow'), 'POST');
      assert.equal((await fetch(`${server.url}/runs`, { method: 'DELETE' })).status, 405);
      assert.deepEqual(double.startRunCalls, []);
    });

    it('ignores the query string', async () => {
      assert.equal((await fetch(`${server.url}/healthz?probe=1`)).status, 200);
    });

    it('refuses to start with an unsafe token file', async () => {
      const loose = join(work, 'loose-token');
      await writeFile(loose, `${'c'.repeat(64)}\n`, { mode: 0o644 });
      await chmod(loose, 0o644);
      await assert.rejects(startStatusServer({ source: double.source, port: 0, tokenFile: loose }), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE'));
      await assert.rejects(startStatusServer({ source: double.source, port: 0, tokenFile: join(work, 'absent') }), (e) => isNcupdError(e, 'NCUPD_TOKEN_MISSING'));
    });
  });
});
