// Installs that belong to someone else are recognised and refused with their own update path
// (contract 9). Each layout is built as a fixture below a temporary system root; the package case
// asks the real dpkg-query against a fixture package database.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../daemon/config/load-config.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { checkRelease } from '../../../daemon/releases/check-release.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { startUpdateServer, type UpdateServerDouble } from '../../fixtures/update-server/index.js';

describe('install types', function () {
  this.timeout(300_000);
  const host = createLocalHost();
  let release: BuiltRelease;
  let server: UpdateServerDouble;
  const instances: FixtureInstance[] = [];
  before(async () => {
    release = await buildRelease({ version: '33.0.5' });
    server = await startUpdateServer({ today: '2026-11-27' });
  });
  after(async () => {
    await server.close();
    for (const instance of instances) await instance.destroy();
  });

  const configFor = (instance: FixtureInstance) =>
    parseConfig({ instances: [{ name: 't', path: instance.root, webUser: instance.webUser, updateServer: server.url }] }, 'test').instances[0]!;
  const make = async (rootSubpath: string, prepare: (base: string) => void = () => undefined) => {
    const instance = await createInstance({ release, rootSubpath });
    instances.push(instance);
    prepare(instance.base);
    return instance;
  };
  const refused = async (instance: FixtureInstance, options: { dpkgAdminDir?: string }, type: string, path: RegExp) => {
    await assert.rejects(checkRelease(host, configFor(instance), { sysroot: instance.base, ...options }), (error) => {
      assert.ok(isNcupdError(error, 'NCUPD_INSTALL_TYPE_UNSUPPORTED'), String(error));
      assert.match(error.message, new RegExp(`is a ${type} install`));
      assert.match(error.hint, path);
      return true;
    });
  };

  it('refuses the official Docker image', async () => {
    const instance = await make('var/www/html', (base) => {
      writeFileSync(join(base, '.dockerenv'), '');
      mkdirSync(join(base, 'usr/src/nextcloud'), { recursive: true });
      writeFileSync(join(base, 'usr/src/nextcloud/version.php'), '<?php\n');
    });
    await refused(instance, {}, 'docker', /pull the newer image/);
  });

  it('refuses AIO', async () => {
    await refused(await make('var/lib/docker/volumes/nextcloud_aio_nextcloud/_data'), {}, 'aio', /AIO interface/);
  });

  it('refuses the snap', async () => {
    await refused(await make('snap/nextcloud/current/htdocs'), {}, 'snap', /snap refresh/);
  });

  it('refuses a distribution package, asking dpkg', async () => {
    const instance = await make('usr/share/nextcloud');
    const admin = join(instance.base, 'var/lib/dpkg');
    mkdirSync(join(admin, 'info'), { recursive: true });
    writeFileSync(join(admin, 'status'), 'Package: nextcloud-server\nStatus: install ok installed\nPriority: optional\nSection: web\nMaintainer: Test <t@example.test>\nArchitecture: all\nVersion: 33.0.5-1\nDescription: fixture\n\n');
    writeFileSync(join(admin, 'info', 'nextcloud-server.list'), `${instance.root}\n${instance.root}/version.php\n`);
    await refused(instance, { dpkgAdminDir: admin }, 'package', /package manager/);
  });

  it('recognises a git checkout and an ordinary archive install', async () => {
    const plain = await make('srv/www/nextcloud');
    const archive = await checkRelease(host, configFor(plain), { sysroot: plain.base });
    assert.equal(archive.instance.installType.type, 'archive');
    const git = await make('srv/git/nextcloud', (base) => mkdirSync(join(base, 'srv/git/nextcloud/.git')));
    const result = await checkRelease(host, configFor(git), { sysroot: git.base });
    assert.equal(result.instance.installType.type, 'git');
    assert.match(result.notices.join(), /git checkout/);
  });

  it('reports a leftover .step of the official updater', async () => {
    const instance = await make('nextcloud');
    const dir = join(instance.dataDir, `updater-${instance.instanceId}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.step'), '{"state":"start","step":4}');
    await host.run({ file: 'chown', args: ['-R', `${instance.webUser}:${instance.webUser}`, dir] });
    const result = await checkRelease(host, configFor(instance));
    assert.equal(result.instance.updaterStep?.state, 'start');
    assert.match(result.notices.join(), /left .*\.step in state "start" \(step 4\)/);
  });
});
