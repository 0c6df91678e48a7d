import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalHost } from '../../daemon/hosts/local/index.js';
import { parseConfig } from '../../daemon/config/load-config.js';
import { MAIN_SCRIPT, SNAPSHOTS_TEMPLATE, UNIT_TEMPLATE, renderUnit } from '../../daemon/service/install-files.js';
import { renderInstancesDropIn } from '../../daemon/service/writable-paths.js';
import { makeTempDir } from '../fixtures/harness/temp-files.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { ensureWebUser, WEB_USER } from '../helpers/web-user.js';

// systemd is installed but not PID 1 here, so the unit cannot be started: it is checked offline
// with systemd-analyze (verify, security --offline), and its capability set with setpriv.

const host = createLocalHost('unit-test');
/** Limits the exposure scores may not exceed (systemd/README.md, "Exposure"). */
const DEFAULT_LIMIT = 3.0;
const SNAPSHOTS_LIMIT = 3.5;

function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match?.[1]) settings.set(match[1], [...(settings.get(match[1]) ?? []), match[2] ?? '']);
  }
  return settings;
}

/** The unit as install-service writes it: node and main.js are this checkout's, so verify finds them. */
function stageUnit(root: string, snapshots: boolean): string {
  const dir = join(root, 'etc', 'systemd', 'system');
  mkdirSync(join(dir, 'ncupd.service.d'), { recursive: true });
  const unit = join(dir, 'ncupd.service');
  writeFileSync(unit, renderUnit(readFileSync(UNIT_TEMPLATE, 'utf8'), { node: process.execPath, main: MAIN_SCRIPT, config: '/etc/ncupd/config.yaml' }));
  if (snapshots) writeFileSync(join(dir, 'ncupd.service.d', '20-snapshots.conf'), readFileSync(SNAPSHOTS_TEMPLATE, 'utf8'));
  return unit;
}

async function exposure(root: string, label: string): Promise<number> {
  const result = await host.run({ file: 'systemd-analyze', args: ['security', '--offline=true', `--root=${root}`, '--no-pager', 'ncupd.service'], reject: false });
  const match = /Overall exposure level for ncupd\.service: (\d+(?:\.\d+)?)/.exec(result.stdout);
  assert.ok(match?.[1], `no exposure level in:\n${result.stdout}\n${result.stderr}`);
  const score = Number(match[1]);
  console.log(`      exposure of ${label}: ${score} (systemd-analyze security --offline=true)`);
  return score;
}

describe('systemd unit', function () {
  let dir: string;
  beforeEach(async () => { dir = await makeTempDir('ncupd-unit'); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('passes systemd-analyze verify without a single warning, with and without the snapshot drop-in', async () => {
    for (const snapshots of [false, true]) {
      const unit = stageUnit(join(dir, String(snapshots)), snapshots);
      const result = await host.run({ file: 'systemd-analyze', args: ['verify', unit], reject: false, timeoutMs: 60_000 });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.stderr.trim(), '', `warnings (snapshots: ${snapshots}):\n${result.stderr}`);
    }
  });

  it(`has an exposure score of at most ${DEFAULT_LIMIT.toFixed(1)}, and ${SNAPSHOTS_LIMIT.toFixed(1)} with the snapshot drop-in`, async () => {
    stageUnit(join(dir, 'default'), false);
    assert.ok(await exposure(join(dir, 'default'), 'ncupd.service') <= DEFAULT_LIMIT);
    stageUnit(join(dir, 'snapshots'), true);
    assert.ok(await exposure(join(dir, 'snapshots'), 'ncupd.service + 20-snapshots.conf') <= SNAPSHOTS_LIMIT);
  });

  it('accepts the instances drop-in, also for an instance under /home (ProtectHome=tmpfs, BindPaths=)', async () => {
    const unit = stageUnit(dir, false);
    const config = parseConfig({ instances: [{ name: 'a', path: '/var/www/a/nextcloud' }, { name: 'b', path: '/home/site/nextcloud' }] }, 'test');
    writeFileSync(join(dir, 'etc/systemd/system/ncupd.service.d/10-instances.conf'), renderInstancesDropIn(config, [
      { name: 'a', folders: ['/var/www/a/nextcloud', '/var/www/a', '/srv/data%a'] },
      { name: 'b', folders: ['/home/site/nextcloud', '/home/site'], problem: 'no Nextcloud at /home/site/nextcloud yet' },
    ], []));
    const result = await host.run({ file: 'systemd-analyze', args: ['verify', unit], reject: false, timeoutMs: 60_000 });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', result.stderr);
    assert.ok(await exposure(dir, 'ncupd.service + 10-instances.conf with /home') <= DEFAULT_LIMIT);
  });

  it('keeps the settings the daemon relies on', () => {
    const unit = unitSettings(readFileSync(UNIT_TEMPLATE, 'utf8'));
    const one = (key: string) => unit.get(key)?.join(' ');
    assert.equal(one('Type'), 'notify');
    assert.equal(one('NotifyAccess'), 'all');
    assert.equal(one('KillMode'), 'mixed');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one('ExecStart'), '/usr/bin/node --max-semi-space-size=2 /usr/lib/ncupd/dist/daemon/cli/main.js daemon --config /etc/ncupd/config.yaml');
    assert.equal(one('MemoryDenyWriteExecute'), 'no');
    for (const key of ['RuntimeDirectory', 'StateDirectory', 'CacheDirectory', 'ConfigurationDirectory']) assert.equal(one(key), 'ncupd');
  });

  it('documents every setting of the unit and the snapshot drop-in in systemd/README.md', () => {
    const readme = readFileSync(join(REPO_ROOT, 'systemd', 'README.md'), 'utf8');
    const keys = [...unitSettings(readFileSync(UNIT_TEMPLATE, 'utf8')).keys(), ...unitSettings(readFileSync(SNAPSHOTS_TEMPLATE, 'utf8')).keys()];
    const missing = keys.filter((key) => !readme.includes(`${key}=`));
    assert.deepEqual(missing, []);
  });

  it('lets setpriv switch to the web user and chown within CapabilityBoundingSet= and NoNewPrivileges=', async () => {
    await ensureWebUser();
    const caps = (unitSettings(readFileSync(UNIT_TEMPLATE, 'utf8')).get('CapabilityBoundingSet') ?? []).join(' ').split(/\s+/).filter(Boolean);
    const bounding = `-all,${caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',')}`;
    const file = join(dir, 'owned');
    writeFileSync(file, '');
    const gid = (await host.run({ file: 'id', args: ['-g', WEB_USER] })).stdout.trim();
    const sandboxed = (args: string[]) => host.run({ file: 'setpriv', args: [`--bounding-set=${bounding}`, '--no-new-privs', '--', ...args], reject: false });
    assert.equal((await sandboxed(['chown', `${WEB_USER}:`, file])).exitCode, 0);
    const switched = await sandboxed(['setpriv', '--reuid', WEB_USER, '--regid', gid, '--init-groups', '--', 'id', '-un']);
    assert.equal(switched.stdout.trim(), WEB_USER, switched.stderr);
    // Without CAP_SETUID the same switch fails: the capability is needed, not just allowed.
    const without = await host.run({ file: 'setpriv', args: [`--bounding-set=${bounding.replace(',+setuid', '')}`, '--no-new-privs', '--', 'setpriv', '--reuid', WEB_USER, '--regid', gid, '--init-groups', '--', 'id', '-un'], reject: false });
    assert.notEqual(without.exitCode, 0);
  });
});
