// `ncupd clear-updater-step` end to end: fixture instances with real php and occ, `.step` files
// written by the updater stand-in itself or in its format, real processes for the running-updater
// check, the built CLI run as an operator would. Fake: nothing beyond the fixture Nextcloud.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { RunningProcess } from '../../../daemon/hosts/host.js';
import { serveArchive } from '../../../strategies/updater/serve-archive.js';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';

const host = createLocalHost();

interface Report {
  found: boolean;
  safe: boolean;
  finishedRun: boolean;
  step: { path: string; state: string; step: number; label: string };
  processes: { pid: number; command: string }[];
  checks: { name: string; ok: boolean | null }[];
  leftovers: string[];
  maintenance: { on: boolean; cause: string; needsDbUpgrade: boolean };
  movedTo: string | null;
}

interface ErrorOutput {
  error: { code: string; message: string; hint: string; instance: string };
}

describe('ncupd clear-updater-step', function () {
  this.timeout(600_000);
  let installed: BuiltRelease;
  let newer: BuiltRelease;
  let instance: FixtureInstance;
  let work: string;
  let stateDir: string;
  let config: string;

  const updaterDir = (i: FixtureInstance) => join(i.dataDir, `updater-${i.instanceId}`);
  const stepFile = (i: FixtureInstance) => join(updaterDir(i), '.step');
  const leftoversOf = (name: string) => join(stateDir, 'updater-leftovers', name);

  /** The stand-in's format (`json_encode(['state' => ..., 'step' => ...])`), owned by the web user, plus a half-downloaded archive. */
  async function leaveStep(i: FixtureInstance, state: 'start' | 'end', step: number, downloads = true): Promise<void> {
    await host.run({ file: 'mkdir', args: ['-p', join(updaterDir(i), 'downloads')] });
    writeFileSync(stepFile(i), JSON.stringify({ state, step }));
    if (downloads) writeFileSync(join(updaterDir(i), 'downloads', 'nextcloud-33.0.6.zip'), 'PK\u0003\u0004 partial');
    await host.run({ file: 'chown', args: ['-R', `${i.webUser}:${i.webUser}`, updaterDir(i)] });
  }

  const clear = (extra: string[] = []) => runNcupd(['clear-updater-step', '--config', config, '--instance', 'cloud', ...extra], { timeoutMs: 300_000 });

  const runUpdater = (i: FixtureInstance, args: string[]) =>
    host.run({ file: 'php', args: ['updater/updater.phar', '--no-interaction', ...args], cwd: i.root, user: i.webUser, reject: false, timeoutMs: 300_000 });

  before(async () => {
    [installed, newer] = await Promise.all([buildRelease({ version: '33.0.5' }), buildRelease({ version: '33.0.6' })]);
    instance = await createInstance({ release: installed, rows: 200 });
    work = mkdtempSync(join(tmpdir(), 'ncupd-clear-step-'));
    stateDir = join(work, 'state');
    config = join(work, 'config.yaml');
    writeFileSync(config, [`stateDir: ${stateDir}`, 'instances:', '  - name: cloud', `    path: ${instance.root}`, `    webUser: ${instance.webUser}`, ''].join('\n'));
  });
  after(async () => {
    await instance?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  afterEach(async () => {
    await host.run({ file: 'rm', args: ['-rf', '--', updaterDir(instance), leftoversOf('cloud')] });
  });

  it('says so and exits 0 when there is no .step', async () => {
    const result = await clear();
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^cloud: no \.step of the official updater, nothing to clear$/m);
    const json = await clear(['--json']);
    assert.deepEqual(parseJson<Report>(json.stdout), { instance: 'cloud', found: false });
  });

  describe('a stale .step with the code intact (the updater died while downloading)', () => {
    it('explains it and changes nothing without --yes', async () => {
      await leaveStep(instance, 'start', 4);
      const before = { step: readFileSync(stepFile(instance), 'utf8'), mtime: statSync(stepFile(instance)).mtimeMs };
      const result = await clear();
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, /state: step 4 "Downloading", start: step 4 began and never ended/);
      assert.match(result.stdout, /updater processes: none runs/);
      assert.match(result.stdout, /web updater .* cannot be detected reliably/);
      assert.match(result.stdout, /ok: integrity:check-core found no problems/);
      assert.match(result.stdout, /safe to clear: no updater runs and the code on disk is still the installed version/);
      assert.match(result.stdout, /nothing changed: run again with --yes/);
      assert.equal(readFileSync(stepFile(instance), 'utf8'), before.step);
      assert.equal(statSync(stepFile(instance)).mtimeMs, before.mtime);
      assert.ok(existsSync(join(updaterDir(instance), 'downloads', 'nextcloud-33.0.6.zip')));
      assert.equal(existsSync(leftoversOf('cloud')), false, 'nothing moved');
      const report = parseJson<Report>((await clear(['--json'])).stdout);
      assert.equal(report.safe, true);
      assert.equal(report.movedTo, null);
      assert.deepEqual(report.checks.map((c) => [c.name, c.ok]), [['occ status', true], ['versions', true], ['integrity', true]]);
    });

    it('with --yes moves .step and downloads/ into a root-only folder, and the official updater runs again', async () => {
      await leaveStep(instance, 'start', 4);
      assert.equal((await runUpdater(instance, [])).exitCode, 255, 'the updater refuses while step 4 is "in process"');

      const result = await clear(['--yes', '--json']);
      assert.equal(result.exitCode, 0, result.stderr + result.stdout);
      const report = parseJson<Report>(result.stdout);
      assert.ok(report.movedTo?.startsWith(`${leftoversOf('cloud')}/`), report.movedTo ?? 'no movedTo');
      const moved = report.movedTo!;
      assert.equal(statSync(moved).mode & 0o777, 0o700);
      assert.equal(statSync(join(stateDir, 'updater-leftovers')).mode & 0o777, 0o700);
      assert.deepEqual(readdirSync(moved).sort(), ['.step', 'downloads', 'origin.json']);
      assert.deepEqual(JSON.parse(readFileSync(join(moved, '.step'), 'utf8')), { state: 'start', step: 4 });
      assert.equal(readFileSync(join(moved, 'downloads', 'nextcloud-33.0.6.zip'), 'utf8'), 'PK\u0003\u0004 partial');
      assert.deepEqual(JSON.parse(readFileSync(join(moved, 'origin.json'), 'utf8')).from, [join(updaterDir(instance), 'downloads'), stepFile(instance)]);
      assert.equal(existsSync(stepFile(instance)), false);
      assert.equal(existsSync(join(updaterDir(instance), 'downloads')), false);

      // The real outcome: the official updater no longer refuses; it starts from step 1 (and here
      // fails at its download, from a closed port, before it changes anything).
      const again = await runUpdater(instance, ['--no-backup', '--no-upgrade', '--no-verify', '--url=http://127.0.0.1:9/nextcloud-33.0.6.zip']);
      assert.doesNotMatch(again.stdout, /currently in process/);
      assert.match(again.stdout, /\[✔\] Check for expected files[\s\S]*\[✘\] Downloading failed/);
    });
  });

  describe('a .step of a finished run (updater with --no-upgrade)', () => {
    let done: FixtureInstance;
    let doneConfig: string;
    before(async () => {
      done = await createInstance({ release: installed, rows: 200 });
      doneConfig = join(work, 'done.yaml');
      writeFileSync(doneConfig, [`stateDir: ${stateDir}`, 'instances:', '  - name: done', `    path: ${done.root}`, `    webUser: ${done.webUser}`, ''].join('\n'));
      const archive = await serveArchive(host, newer.zipPath, { php: 'php', workDir: work, lifetimeSeconds: 600 });
      try {
        const ran = await runUpdater(done, ['--no-backup', '--no-upgrade', '--no-verify', `--url=${archive.url}`]);
        assert.equal(ran.exitCode, 0, ran.stdout + ran.stderr);
      } finally {
        await archive.close();
      }
    });
    after(() => done?.destroy());

    it('is cleared with --yes; maintenance stays on and the output says to run occ upgrade', async () => {
      assert.deepEqual(JSON.parse(readFileSync(stepFile(done), 'utf8')), { state: 'end', step: 12 });
      const result = await runNcupd(['clear-updater-step', '--config', doneConfig, '--yes']);
      assert.equal(result.exitCode, 0, result.stderr + result.stdout);
      assert.match(result.stdout, /maintenance: on, switched on by the updater at its step 7/);
      assert.match(result.stdout, /next: the code is already the new version and the database is not: run `sudo -u \S+ php \S+\/occ upgrade`, then `.*occ maintenance:mode --off`/);
      assert.match(result.stdout, /safe to clear: the updater finished replacing the code/);
      const moved = /moved .* to (\S+)\/ \(root only/.exec(result.stdout)?.[1];
      assert.ok(moved && existsSync(join(moved, '.step')), result.stdout);
      assert.equal(existsSync(stepFile(done)), false);
      const status = parseJson<{ maintenance: boolean; needsDbUpgrade: boolean; version: string }>((await done.occ(['status', '--output=json'])).stdout);
      assert.deepEqual([status.maintenance, status.needsDbUpgrade, status.version], [true, true, newer.internalVersion], 'maintenance is left to the admin');
    });
  });

  describe('a .step where the code was half replaced', () => {
    const coreJs = () => join(instance.root, 'core', 'js', 'core.js');

    it('refuses when integrity:check-core finds changed files, and moves nothing', async () => {
      await leaveStep(instance, 'start', 9);
      const original = readFileSync(coreJs());
      writeFileSync(coreJs(), '// half replaced\n');
      try {
        const result = await clear(['--yes']);
        assert.equal(result.exitCode, 1);
        assert.match(result.stderr, /^error NCUPD_UPDATER_STEP_UNSAFE \(instance cloud\): not safe to clear .*\.step \(step 9 "Delete old files", state start\): integrity:check-core found 1 problem\(s\): INVALID_HASH core\/js\/core\.js/m);
        assert.match(result.stderr, /hint: The code is half-replaced\. Either finish with the official updater, `sudo -u \S+ php \S+\/updater\/updater\.phar` \(it refuses while a step is marked in process/);
        assert.match(result.stdout, /FAILED: integrity:check-core found 1 problem/);
        const json = parseJson<ErrorOutput>((await clear(['--yes', '--json'])).stdout);
        assert.equal(json.error.code, 'NCUPD_UPDATER_STEP_UNSAFE');
        assert.deepEqual(JSON.parse(readFileSync(stepFile(instance), 'utf8')), { state: 'start', step: 9 });
        assert.ok(existsSync(join(updaterDir(instance), 'downloads', 'nextcloud-33.0.6.zip')));
        assert.equal(existsSync(leftoversOf('cloud')), false, 'nothing moved');
      } finally {
        writeFileSync(coreJs(), original);
      }
    });

    it('refuses when version.php is already the new release, naming the version mismatch', async () => {
      await leaveStep(instance, 'end', 10);
      const versionPhp = join(instance.root, 'version.php');
      const original = readFileSync(versionPhp);
      writeFileSync(versionPhp, readFileSync(join(newer.treeDir, 'version.php')));
      try {
        const result = await clear(['--yes', '--json']);
        assert.equal(result.exitCode, 1);
        const { error } = parseJson<ErrorOutput>(result.stdout);
        assert.equal(error.code, 'NCUPD_UPDATER_STEP_UNSAFE');
        assert.match(error.message, new RegExp(`version\\.php is ${newer.internalVersion.replace(/\./g, '\\.')}, config\\.php version ${installed.internalVersion.replace(/\./g, '\\.')}`));
        assert.match(error.message, /needsDbUpgrade/);
        assert.match(error.hint, /it continues at step 11/);
        assert.equal(existsSync(stepFile(instance)), true);
        assert.equal(existsSync(leftoversOf('cloud')), false, 'nothing moved');
      } finally {
        writeFileSync(versionPhp, original);
      }
    });
  });

  describe('where integrity:check-core does not apply (integrity.check.disabled)', () => {
    before(async () => {
      await instance.occ(['config:system:set', 'integrity.check.disabled', '--type=boolean', '--value=true']);
    });
    after(async () => {
      await instance.occ(['config:system:set', 'integrity.check.disabled', '--type=boolean', '--value=false']);
    });

    it('clears a .step from before the code steps, saying the check does not apply', async () => {
      await leaveStep(instance, 'start', 6);
      const result = await clear(['--yes']);
      assert.equal(result.exitCode, 0, result.stderr + result.stdout);
      assert.match(result.stdout, /n\/a: integrity:check-core does not apply here/);
      assert.equal(existsSync(stepFile(instance)), false);
    });

    it('refuses a .step from a step that changes code: nothing proves the code is whole', async () => {
      await leaveStep(instance, 'start', 9);
      const result = await clear(['--yes', '--json']);
      assert.equal(result.exitCode, 1);
      const { error } = parseJson<ErrorOutput>(result.stdout);
      assert.equal(error.code, 'NCUPD_UPDATER_STEP_UNSAFE');
      assert.match(error.message, /nothing proves the code is whole/);
      assert.match(error.hint, /^The code may be half-replaced/);
      assert.equal(existsSync(stepFile(instance)), true);
      assert.equal(existsSync(leftoversOf('cloud')), false, 'nothing moved');
    });
  });

  describe('a running updater', () => {
    let running: RunningProcess | undefined;
    afterEach(async () => {
      await running?.stop(1000);
      running = undefined;
    });

    // `exec -a` gives `sleep` the command line of an updater; nothing of the instance changes.
    const fakeUpdater = (argv0: string, cwd?: string) => host.start({ file: 'bash', args: ['-c', `exec -a "${argv0}" sleep 60`], cwd });

    async function assertRefused(pid: number | undefined): Promise<void> {
      for (let i = 0; i < 50 && !(await host.run({ file: 'pgrep', args: ['-f', 'updater.phar 60'], reject: false })).stdout.includes(String(pid)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const result = await clear(['--yes']);
      assert.equal(result.exitCode, 1, result.stdout);
      assert.match(result.stderr, new RegExp(`^error NCUPD_UPDATER_STEP_UNSAFE .*an updater process runs \\(pid ${pid}: php `, 'm'));
      assert.match(result.stderr, new RegExp(`hint: An updater runs \\(pid ${pid}\\): let it finish`));
      assert.match(result.stdout, new RegExp(`updater process: pid ${pid}: php `));
      assert.deepEqual(JSON.parse(readFileSync(stepFile(instance), 'utf8')), { state: 'start', step: 4 });
      assert.equal(existsSync(leftoversOf('cloud')), false, 'nothing moved');
    }

    it('is detected by the absolute path of the instance\'s updater.phar and refused', async () => {
      await leaveStep(instance, 'start', 4);
      running = fakeUpdater(`php ${instance.root}/updater/updater.phar`);
      await assertRefused(running.pid);
    });

    it('is detected by a relative path from the install root, but not for another install', async () => {
      await leaveStep(instance, 'start', 4);
      running = fakeUpdater('php updater/updater.phar', instance.root);
      await assertRefused(running.pid);
      await running.stop(1000);
      running = fakeUpdater('php /srv/elsewhere/updater/updater.phar');
      const other = await clear();
      assert.equal(other.exitCode, 0, other.stderr);
      assert.match(other.stdout, /updater processes: none runs/);
    });
  });

  it('clears a .step of a stop at step 7 but leaves maintenance on, saying the updater switched it on', async () => {
    await leaveStep(instance, 'end', 7, false);
    await instance.occ(['maintenance:mode', '--on']);
    try {
      const result = await clear(['--yes']);
      assert.equal(result.exitCode, 0, result.stderr + result.stdout);
      assert.match(result.stdout, /maintenance: on, switched on by the updater at its step 7/);
      assert.match(result.stdout, /ncupd does not turn it off: .* run `sudo -u \S+ php \S+\/occ maintenance:mode --off`/);
      assert.equal(existsSync(stepFile(instance)), false);
      const status = parseJson<{ maintenance: boolean }>((await instance.occ(['status', '--output=json'])).stdout);
      assert.equal(status.maintenance, true);
    } finally {
      await instance.occ(['maintenance:mode', '--off']);
    }
  });
});
