import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../../../daemon/config/load-config.js';
import { parse } from 'yaml';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { MAIN_SCRIPT } from '../../../daemon/service/install-files.js';
import { chownTo, makeTempDir } from '../../fixtures/harness/temp-files.js';
import { ensureWebUser, WEB_USER } from '../../helpers/web-user.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';

// `ncupd install-service --root <tmp>` writes into a staging tree; systemctl is never run (systemd
// is not PID 1 here). The instance it reads is a minimal real tree: PHP reads its config.php.

interface Report { files: { path: string; action: string; backup?: string }[]; warnings: string[]; commands: string[] }

const host = createLocalHost('install-service-test');
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** version.php, occ and a config.php naming folders outside the install root, owned by the web user. */
async function fakeInstance(base: string): Promise<string> {
  const root = join(base, 'nextcloud');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'occ'), '<?php\n');
  writeFileSync(join(root, 'version.php'), "<?php\n$OC_Version = [29, 0, 1, 1];\n$OC_VersionString = '29.0.1';\n$OC_Channel = 'stable';\n");
  const config = { datadirectory: `${base}/data/`, logfile: `${base}/log/nextcloud.log`, dbpassword: 'not-printed-anywhere',
    apps_paths: [{ path: `${root}/apps`, url: '/apps', writable: false }, { path: `${base}/extra-apps`, url: '/extra-apps', writable: true }] };
  await host.run({ file: 'php', args: ['-r', 'echo "<?php\\n\\$CONFIG = " . var_export(json_decode(stream_get_contents(STDIN), true), true) . ";\\n";'], input: JSON.stringify(config) })
    .then((result) => writeFileSync(join(root, 'config', 'config.php'), result.stdout));
  await chownTo(base, WEB_USER);
  await host.run({ file: 'chmod', args: ['0755', base] });
  return root;
}

describe('ncupd install-service', function () {
  let dir: string;

  beforeEach(async () => {
    await ensureWebUser();
    // The web user must reach the instance below it, as on a server.
    dir = await makeTempDir('ncupd-install', { mode: 0o755 });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes unit, instances drop-in, config skeleton and token into --root, and prints the systemctl commands', async () => {
    const stage = join(dir, 'root');
    const result = await runNcupd(['install-service', '--root', stage, '--path', '/srv/nc/nextcloud', '--web-user', WEB_USER]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^ {2}systemctl daemon-reload$/m);
    assert.match(result.stdout, /^ {2}systemctl enable --now ncupd$/m);
    assert.match(result.stdout, /warning: instance cloud: no Nextcloud at \/srv\/nc\/nextcloud yet/);

    const unit = readFileSync(join(stage, 'etc/systemd/system/ncupd.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${process.execPath} --max-semi-space-size=2 ${MAIN_SCRIPT} daemon --config /etc/ncupd/config.yaml$`, 'm'));
    assert.equal(mode(join(stage, 'etc/systemd/system/ncupd.service')), '644');
    const dropIn = readFileSync(join(stage, 'etc/systemd/system/ncupd.service.d/10-instances.conf'), 'utf8');
    assert.match(dropIn, /^ReadWritePaths=-\/srv\/nc\/nextcloud -\/srv\/nc$/m);

    const configPath = join(stage, 'etc/ncupd/config.yaml');
    assert.equal(mode(configPath), '600');
    assert.equal(mode(join(stage, 'etc/ncupd')), '700');
    assert.equal(mode(join(stage, 'etc')), '755');
    const config = loadConfigFile(configPath);
    assert.deepEqual(config.instances.map((i) => [i.name, i.path, i.webUser]), [['cloud', '/srv/nc/nextcloud', WEB_USER]]);
    // Every commented example in the skeleton is valid as well, once uncommented.
    const uncommented = readFileSync(configPath, 'utf8').split('\n').map((line, index) => (index < 3 ? line : line.replace(/^(\s*)# /, '$1'))).join('\n');
    const full = parseConfig(parse(uncommented), 'uncommented skeleton');
    assert.equal(full.notifications.length, 1);
    assert.deepEqual(full.instances[0]?.reloadCommand, ['systemctl', 'reload', 'php8.2-fpm']);

    const tokenPath = join(stage, 'etc/ncupd/token');
    assert.equal(mode(tokenPath), '600');
    const token = readFileSync(tokenPath, 'utf8').trim();
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.ok(!result.stdout.includes(token), 'the token must not be printed');
  });

  it('lists the folders config.php names, keeps what exists, and refuses to replace an edited unit without --force', async () => {
    const base = join(dir, 'srv');
    mkdirSync(base);
    const root = await fakeInstance(base);
    const stage = join(dir, 'root');
    mkdirSync(join(stage, 'etc/ncupd'), { recursive: true });
    writeFileSync(join(stage, 'etc/ncupd/config.yaml'), `instances:\n  - name: files\n    path: ${root}\n    webUser: ${WEB_USER}\nstateDir: /data/ncupd-state\n`);

    const first = await runNcupd(['install-service', '--root', stage, '--json', '--read-write', '/mnt/backup']);
    assert.equal(first.exitCode, 0, first.stderr);
    const report = parseJson<Report>(first.stdout);
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.files.map((f) => f.action), ['kept', 'created', 'created', 'created']);
    const dropInPath = join(stage, 'etc/systemd/system/ncupd.service.d/10-instances.conf');
    const dropIn = readFileSync(dropInPath, 'utf8');
    assert.match(dropIn, new RegExp(`^ReadWritePaths=-${root} -${base} -${base}/data -${base}/log -${root}/apps -${base}/extra-apps$`, 'm'));
    assert.match(dropIn, /^ReadWritePaths=-\/data\/ncupd-state$/m);
    assert.match(dropIn, /^ReadWritePaths=-\/mnt\/backup$/m);
    assert.doesNotMatch(dropIn + first.stdout, /not-printed-anywhere/);

    const again = parseJson<Report>((await runNcupd(['install-service', '--root', stage, '--json', '--read-write', '/mnt/backup'])).stdout);
    assert.deepEqual(again.files.map((f) => f.action), ['kept', 'kept', 'unchanged', 'unchanged']);

    const unitPath = join(stage, 'etc/systemd/system/ncupd.service');
    appendFileSync(unitPath, 'Environment=LOCAL=1\n');
    const refused = await runNcupd(['install-service', '--root', stage]);
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, /error NCUPD_USAGE: refusing to replace .*ncupd\.service/);
    assert.match(readFileSync(unitPath, 'utf8'), /LOCAL=1/);

    const forced = parseJson<Report>((await runNcupd(['install-service', '--root', stage, '--force', '--snapshots', '--json'])).stdout);
    const unitResult = forced.files.find((f) => f.path === unitPath);
    assert.equal(unitResult?.action, 'replaced');
    assert.ok(unitResult?.backup && /LOCAL=1/.test(readFileSync(unitResult.backup, 'utf8')));
    assert.doesNotMatch(readFileSync(unitPath, 'utf8'), /LOCAL=1/);
    assert.ok(existsSync(join(stage, 'etc/systemd/system/ncupd.service.d/20-snapshots.conf')));
    // A drop-in ncupd wrote (checksum intact) is regenerated freely: --read-write was dropped.
    assert.equal(forced.files.find((f) => f.path === dropInPath)?.action, 'replaced');
    assert.doesNotMatch(readFileSync(dropInPath, 'utf8'), /mnt\/backup/);
  });

  it('refuses an invalid configuration before writing anything', async () => {
    const stage = join(dir, 'root');
    mkdirSync(join(stage, 'etc/ncupd'), { recursive: true });
    writeFileSync(join(stage, 'etc/ncupd/config.yaml'), 'instances: []\nfrobnicate: 1\n');
    const result = await runNcupd(['install-service', '--root', stage]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /error NCUPD_CONFIG_INVALID/);
    assert.ok(!existsSync(join(stage, 'etc/systemd')));
    assert.ok(!existsSync(join(stage, 'etc/ncupd/token')));
  });
});
