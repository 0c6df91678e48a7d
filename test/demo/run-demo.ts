// The demo (README's main job): a sandbox Nextcloud from the fixture, an update server double on
// loopback offering a good release and then a broken one, and ncupd's real transaction against
// them. Nothing outside the sandbox is touched; no network beyond loopback is used.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../daemon/config/load-config.js';
import { runUpdate } from '../../daemon/engine/run-update.js';
import type { RunSummary } from '../../daemon/engine/journal-types.js';
import { createLocalHost } from '../../daemon/hosts/local/index.js';
import { explain, progressLine, summaryLine } from '../../daemon/cli/progress.js';
import { buildRelease, type BuiltRelease } from '../fixtures/release-builder/build-release.js';
import { createInstance } from '../fixtures/harness/instance.js';
import { serveInstance } from '../fixtures/harness/serve.js';
import { startUpdateServer, type UpdateServerDouble } from '../fixtures/update-server/index.js';

const say = (text = '') => process.stdout.write(`${text}\n`);

function offer(server: UpdateServerDouble, release: BuiltRelease): void {
  const name = `nextcloud-${release.version}.zip`;
  server.serveFile(name, release.zipPath);
  server.serveFile(`${name}.sha512`, `${release.zipPath}.sha512`);
  server.setReleases({ releases: [{ version: release.version, internalVersion: release.internalVersion, channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18',
    downloads: { zip: [server.downloadUrl(name)], bz2: [] }, signature: release.zipSignature.replace(/\n/g, '') }], daily: [] });
}

export async function runDemo(options: { keep?: boolean } = {}): Promise<number> {
  if (process.getuid?.() !== 0) {
    say('The demo creates a web user and switches to it: run it as root (see README.md).');
    return 2;
  }
  say('ncupd demo: a sandbox Nextcloud, an update server double on 127.0.0.1, and two updates.');
  say('Building releases 33.0.5, 33.0.6 (good) and 33.0.7 (a migration that fails halfway) with test keys...');
  const [installed, good, broken] = await Promise.all([
    buildRelease({ version: '33.0.5' }), buildRelease({ version: '33.0.6' }), buildRelease({ version: '33.0.7', faults: ['failing-migration'] }),
  ]);
  const instance = await createInstance({ release: installed, rows: 5000 });
  const served = await serveInstance(instance);
  const server = await startUpdateServer();
  const work = mkdtempSync(join(tmpdir(), 'ncupd-demo-'));
  say(`Sandbox instance: ${instance.root} (SQLite, 5000 file rows), served at ${served.url}`);
  const config = parseConfig({
    stateDir: join(work, 'state'), cacheDir: join(work, 'cache'),
    instances: [{ name: 'demo', path: instance.root, webUser: instance.webUser, url: served.url, updateServer: server.url, finalProbeSeconds: 10,
      trust: { certificate: installed.pki.coreCertPath } }],
  }, 'demo');
  const run = async (title: string): Promise<RunSummary> => {
    say();
    say(title);
    const summary = await runUpdate({ host: createLocalHost(), config, instance: config.instances[0]!, emit: (event) => {
      const line = progressLine(event);
      if (line) say(line);
    } });
    say([summaryLine(summary), ...explain(summary)].join('\n'));
    return summary;
  };
  try {
    offer(server, good);
    const first = await run('1. The update server offers 33.0.6, a maintenance release: ncupd verifies, snapshots, swaps, upgrades and checks.');
    offer(server, broken);
    const rowsBefore = JSON.stringify(await instance.dumpDatabase());
    const second = await run('2. Now it offers 33.0.7, whose migration fails after changing rows: ncupd rolls everything back.');
    const rowsAfter = JSON.stringify(await instance.dumpDatabase());
    const status = JSON.parse((await instance.occ(['status', '--output=json'])).stdout) as { versionstring: string; maintenance: boolean };
    say();
    say('What happened:');
    say(`  first run:  ${first.result} (${first.from} -> ${first.to}), maintenance window ${((first.windowMs ?? 0) / 1000).toFixed(2)} s`);
    say(`  second run: ${second.result} at stage ${second.failedStage ?? '-'} (${second.errorCode ?? '-'})`);
    say(`  the instance now runs ${status.versionstring}, maintenance ${status.maintenance ? 'ON' : 'off'}, every database row ${rowsBefore === rowsAfter ? 'as before the broken update' : 'CHANGED'}`);
    return first.result === 'updated' && second.result === 'rolled-back' && rowsBefore === rowsAfter ? 0 : 1;
  } finally {
    await served.stop();
    await server.close();
    if (options.keep) say(`Kept: ${instance.base} and ${work}`);
    else {
      await instance.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  }
}
