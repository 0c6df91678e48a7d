// The status endpoint of the real daemon (issue 7): after a successful update and after a rollback,
// /status, /metrics, /healthz and the page in headless Chromium say so; a POST without the token
// is refused and starts nothing. Fake: the internet (update server double), systemd as PID 1.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { DaemonStatus } from '../../../daemon/service/status-model.js';
import { freePort } from '../../fixtures/harness/free-port.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { transcript } from '../../helpers/run-ncupd.js';
import { makeBed, type Bed } from '../engine/transaction-bed.js';
import { createServer } from 'node:http';

/** A webhook receiver on loopback: what the daemon's notifier POSTs. */
async function webhookSink() {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const host = createLocalHost();
const MAIN = join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js');
const OPEN_NOW = "[{cron: '* * * * *', durationMinutes: 60}]";
const TOKEN = 'f'.repeat(64);
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** A daemon on the bed with its status endpoint on a free loopback port and a root-only token file. */
async function daemonWithEndpoint(bed: Bed, hook?: string) {
  const port = await freePort();
  const tokenFile = join(bed.work, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const config = join(bed.work, 'config.yaml');
  const { readFileSync } = await import('node:fs');
  writeFileSync(config, readFileSync(config, 'utf8').replace('  statusPort: 0', `  statusPort: ${port}\n  tokenFile: ${tokenFile}`)
    + (hook ? `notifications:\n  - type: webhook\n    url: ${hook}\n    when: always\n` : ''));
  const daemon = host.start({ file: process.execPath, args: [MAIN, 'daemon', '--config', config], env: { NCUPD_TEST_TICK_MS: '500' } });
  void daemon.exited.then((r) => transcript.push(r.command, r.stdout, r.stderr));
  const url = `http://127.0.0.1:${port}`;
  const finished = await waitFor('the scheduled run to end', async () => {
    const status = (await (await fetch(`${url}/status`)).json()) as DaemonStatus;
    const last = status.instances[0]?.lastRun;
    return last && !status.instances[0]?.running ? status : undefined;
  });
  return { daemon, url, status: finished };
}

describe('the daemon\'s status endpoint, end to end', function () {
  this.timeout(300_000);
  const artifacts = join(REPO_ROOT, 'test-artifacts');

  it('reports a success: /status, /metrics, /healthz; POST /runs without the token is refused', async () => {
    const bed = await makeBed({ instanceConfig: { windows: OPEN_NOW, soakHours: 0 } });
    const hook = await webhookSink();
    const { daemon, url, status } = await daemonWithEndpoint(bed, hook.url);
    try {
      const told = await waitFor('the webhook', async () => hook.bodies.find((b) => b.includes('"updated"')));
      assert.match(told, /cloud/);
      const cloud = status.instances[0]!;
      assert.equal(cloud.lastRun?.result, 'updated');
      assert.equal(cloud.updateCount, 1);
      assert.equal(cloud.rollbackCount, 0);
      assert.ok(cloud.lastSnapshot && cloud.lastSnapshot.sizeBytes > 0, 'the snapshot is measured');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^ncupd_updates_total\{[^}]*nextcloud="cloud"[^}]*\} 1$/m);
      assert.match(metrics, /^ncupd_rollbacks_total\{[^}]*\} 0$/m);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const refused = await fetch(`${url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instance: 'cloud' }) });
      assert.equal(refused.status, 401);
      const wrong = await fetch(`${url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify({ instance: 'cloud' }) });
      assert.equal(wrong.status, 401);
      const after = (await (await fetch(`${url}/status`)).json()) as DaemonStatus;
      assert.ok(!after.instances[0]?.running, 'nothing was started');
      const accepted = await fetch(`${url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ instance: 'cloud' }) });
      assert.equal(accepted.status, 202, await accepted.text());
    } finally {
      await daemon.stop(60_000);
      await hook.close();
      await bed.close();
    }
  });

  it('reports a rollback, and the page shows it in headless Chromium (screenshot saved)', async () => {
    const bed = await makeBed({ faults: ['failing-migration'], instanceConfig: { windows: OPEN_NOW, soakHours: 0 } });
    const hook = await webhookSink();
    const { daemon, url, status } = await daemonWithEndpoint(bed, hook.url);
    const profile = mkdtempSync(join(tmpdir(), 'ncupd-chromium-'));
    try {
      const cloud = status.instances[0]!;
      assert.equal(cloud.lastRun?.result, 'rolled-back');
      assert.equal(cloud.lastRun?.errorCode, 'NCUPD_UPGRADE_FAILED');
      const told = await waitFor('the webhook', async () => hook.bodies.find((b) => b.includes('"rolled-back"')));
      assert.match(told, /NCUPD_UPGRADE_FAILED/);
      assert.equal(cloud.rollbackCount, 1);
      // The schedule does not retry a release that rolled back (it would flap the window).
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const later = (await (await fetch(`${url}/status`)).json()) as DaemonStatus;
      assert.equal(later.instances[0]?.rollbackCount, 1, 'not retried');
      assert.match(later.instances[0]?.reason ?? '', /rolled back at .*does not retry/);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^ncupd_rollbacks_total\{[^}]*\} 1$/m);
      assert.match(metrics, /^ncupd_last_run_success\{[^}]*\} 0$/m);
      const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, viewport: { width: 1200, height: 800 } });
      try {
        const page = await context.newPage();
        await page.goto(`${url}/`);
        const text = await page.innerText('body');
        assert.match(text, /cloud/);
        assert.match(text, /rolled back/i);
        assert.match(text, /33\.0\.5/);
        mkdirSync(artifacts, { recursive: true });
        await page.screenshot({ path: join(artifacts, 'status-page-daemon.png'), fullPage: true });
        assert.ok(existsSync(join(artifacts, 'status-page-daemon.png')));
      } finally {
        await context.close();
      }
    } finally {
      await daemon.stop(60_000);
      await hook.close();
      rmSync(profile, { recursive: true, force: true });
      await bed.close();
    }
  });
});
