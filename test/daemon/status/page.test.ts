// The status page in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no
// browser download). Loads `/` from the real server with the StatusSource double, reads what a
// person sees, checks the colours, and saves a screenshot to test-artifacts/status-page.png.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startStatusServer, type StatusServer } from '../../../daemon/status/server.js';
import { escapeHtml, renderStatusPage } from '../../../daemon/status/page.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { createStatusDouble, XSS_MESSAGE } from './status-double.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

describe('status page', () => {
  describe('HTML', () => {
    it('escapes every value and carries no script or external asset', () => {
      assert.equal(escapeHtml('<a href="x">\'&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
      const double = createStatusDouble();
      Object.assign(double.status, { configError: '<img src=x onerror=alert(1)>' });
      const html = renderStatusPage(double.status, double.now);
      assert.ok(!html.includes('<script'), 'no script element');
      assert.ok(!html.includes('<img'), 'config error escaped');
      assert.ok(html.includes(escapeHtml(XSS_MESSAGE)));
      assert.ok(!/<(link|img|iframe|object|embed|script)\b/i.test(html) && !html.includes('url('), 'no external asset');
      assert.match(html, /<meta http-equiv="refresh" content="30">/);
    });
  });

  describe('in headless Chromium', function () {
    this.timeout(120_000);
    let server: StatusServer;
    let profile: string;
    let context: BrowserContext;
    let page: Page;
    const dialogs: string[] = [];

    before(async () => {
      assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup-machine.sh (installs Debian's chromium)`);
      const double = createStatusDouble();
      server = await startStatusServer({ source: double.source, port: 0, token: 'e'.repeat(64) });
      profile = await mkdtemp(join(tmpdir(), 'ncupd-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 },
      });
      page = context.pages()[0] ?? await context.newPage();
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const response = await page.goto(server.url, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);
    });
    after(async () => {
      await context?.close();
      await server?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    const card = (name: string) => page.locator(`section.instance[data-instance="${name}"]`);

    it('shows each instance\'s state and versions', async () => {
      const expected = [
        { name: 'cloud', state: 'updated', text: ['30.0.5', 'updated (30.0.4 → 30.0.5)'] },
        { name: 'family', state: 'rolled back', text: ['29.0.9', '30.0.5 offered', 'rolled-back (29.0.9 → 30.0.5)', 'NCUPD_UPGRADE_FAILED in upgrade'] },
        { name: 'office', state: 'rollback incomplete', text: ['30.0.4', 'on since', '1 open transaction(s)', 'NCUPD_RESOURCE_UNAVAILABLE'] },
        { name: 'archive', state: 'update held', text: ['28.0.14', '29.0.9 offered', 'paused', 'major upgrade 28 to 29 needs policy.major: auto'] },
      ];
      for (const instance of expected) {
        assert.equal((await card(instance.name).locator('.state').innerText()).trim(), instance.state, instance.name);
        const text = await card(instance.name).innerText();
        for (const part of instance.text) assert.ok(text.includes(part), `${instance.name}: "${part}" in\n${text}`);
      }
      assert.match(await page.locator('h1').innerText(), /4 instance/);
    });

    it('colours the states: green, red for the rolled-back and incomplete ones, amber for the held one', async () => {
      const colour = (name: string) => card(name).locator('.state').evaluate((el) => getComputedStyle(el).backgroundColor);
      assert.equal(await colour('cloud'), 'rgb(30, 158, 74)');
      assert.equal(await colour('family'), 'rgb(208, 48, 47)');
      assert.equal(await colour('office'), 'rgb(208, 48, 47)');
      assert.equal(await colour('archive'), 'rgb(224, 161, 0)');
      assert.match(await card('family').getAttribute('class') ?? '', /\blevel-failed\b/);
    });

    it('shows a value holding <script> as text, without running it', async () => {
      assert.ok((await card('family').innerText()).includes('<script>alert("pwned")</script>'));
      assert.equal(await page.locator('script').count(), 0);
      assert.deepEqual(dialogs, []);
    });

    it('saves a screenshot to test-artifacts/status-page.png', async () => {
      const folder = join(REPO_ROOT, 'test-artifacts');
      await mkdir(folder, { recursive: true });
      await page.screenshot({ path: join(folder, 'status-page.png'), fullPage: true });
      assert.ok(existsSync(join(folder, 'status-page.png')));
    });
  });
});
