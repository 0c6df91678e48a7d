// The loopback server that feeds the official updater its verified archive, on this machine and
// on an SSH target (real php -S, real sshd, login through sudo): it serves exactly one file to
// the web user, answers 404 to anything else, stops on close(), and a server left running by a
// run that died is found and stopped by the undo step's function.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Host } from '../../../daemon/hosts/host.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { createSshHost } from '../../../daemon/hosts/ssh/index.js';
import { serveArchive, stopLeftoverServer } from '../../../strategies/updater/serve-archive.js';
import { allowSudo, sshdAvailable, startSshd, type SshdServer } from '../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir } from '../../fixtures/harness/temp-files.js';
import { ensureWebUser, WEB_USER } from '../../helpers/web-user.js';
import { targetFor } from '../../daemon/hosts/ssh/ssh-target.js';

// What the updater does (as the web user): GET the URL, keep the body; here its SHA-1 and the HTTP status.
const FETCH = '$c = curl_init($argv[1]); curl_setopt($c, CURLOPT_RETURNTRANSFER, true); $b = curl_exec($c); echo curl_getinfo($c, CURLINFO_HTTP_CODE), " ", $b === false ? "error" : sha1($b);';

async function fetchAs(host: Host, url: string): Promise<string> {
  return (await host.run({ file: 'php', args: ['-r', FETCH, url], user: WEB_USER })).stdout.trim();
}

for (const where of ['local', 'ssh'] as const) {
  describe(`updater strategy: the archive server (${where} host)`, function () {
    this.timeout(120_000);
    let server: SshdServer | undefined;
    let host: Host & { close?(): Promise<void> };
    let dir = '';
    let archive = '';
    const bytes = randomBytes(300_000);
    before(async function () {
      await ensureWebUser();
      if (where === 'ssh') {
        if (!(await sshdAvailable())) this.skip();
        await allowSudo([WEB_USER]);
        server = await startSshd();
        host = createSshHost(targetFor(server));
      } else {
        host = createLocalHost();
      }
      dir = await makeTempDir('ncupd-serve-archive');
      archive = join(dir, 'nextcloud-33.0.6.zip');
      await writeFile(archive, bytes, { mode: 0o600 });
      await writeFile(join(dir, 'other-1.zip'), 'not for the updater', { mode: 0o600 });
    });
    after(async () => {
      await host?.close?.();
      await server?.stop();
      if (dir) await removeDir(dir);
    });

    it('serves exactly the one root-only file to the web user, 404 for anything else, and stops on close', async () => {
      const served = await serveArchive(host, archive, { php: 'php', workDir: dir, lifetimeSeconds: 120 });
      const expected = (await createLocalHost().run({ file: 'sha1sum', args: [archive] })).stdout.split(' ')[0];
      try {
        assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/nextcloud-33\.0\.6\.zip$/);
        assert.equal(await fetchAs(host, served.url), `200 ${expected}`);
        assert.match(await fetchAs(host, served.url.replace('nextcloud-33.0.6.zip', 'other-1.zip')), /^404 /);
        assert.match(await fetchAs(host, served.url.replace('nextcloud-33.0.6.zip', 'serve-archive.php')), /^404 /);
      } finally {
        await served.close();
      }
      assert.match(await fetchAs(host, served.url), /^0 error$/, 'nothing listens after close()');
    });

    it('stops a server that was never closed (the undo step after ncupd died in the updater)', async () => {
      const served = await serveArchive(host, archive, { php: 'php', workDir: dir, lifetimeSeconds: 120 });
      assert.match(await fetchAs(host, served.url), /^200 /);
      await stopLeftoverServer(host, dir);
      let answer = '';
      for (let i = 0; i < 20 && answer !== '0 error'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        answer = await fetchAs(host, served.url);
      }
      assert.equal(answer, '0 error', 'nothing listens after the undo step');
      await stopLeftoverServer(host, dir); // nothing left: not an error
      await served.close();
    });
  });
}
