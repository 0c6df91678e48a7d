// The daemon runs the rollout in the instances' windows instead of independent runs
// (docs/fleets.md): the real daemon process on a small fleet (in the full tier one instance over
// the harness sshd), a failing canary, the halt, and the rest after `ncupd rollout resume`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { DaemonStatus } from '../../../daemon/service/status-model.js';
import type { FixtureInstance } from '../../fixtures/harness/instance.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { parseJson, transcript } from '../../helpers/run-ncupd.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../fixtures/harness/sshd.js';
import { FULL_TIER } from '../../helpers/tier.js';
import { makeFleet } from './fleet-bed.js';

const host = createLocalHost();

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function version(instance: FixtureInstance): Promise<string> {
  const status = JSON.parse((await instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
  return `${status.version}${status.maintenance ? ' MAINTENANCE' : ''}`;
}

describe('ncupd daemon with a rollout', function () {
  this.timeout(600_000);
  let server: SshdServer | undefined;
  before(async () => {
    // Full tier only: an SSH transaction costs some 20 s more here, and the default tier has one already.
    if (FULL_TIER && (await sshdAvailable())) server = await startSshd({ user: 'root' });
  });
  after(async () => server?.stop());

  it('updates ring by ring in the window, halts on the failing canary, and goes on after resume', async () => {
    const bed = await makeFleet({
      count: 3, rings: [{ name: 'canary', instances: ['node-01'] }, { name: 'rest', instances: ['*'] }], bad: ['node-01'], parallel: 2,
      instanceYaml: ["windows: [{cron: '* * * * *', durationMinutes: 60}]", 'soakHours: 0'],
      // One instance of the second ring over the harness sshd: the daemon's runs get its SSH host.
      ...(server ? { ssh: { server, names: ['node-03'] } } : {}),
    });
    const daemon = host.start({ file: process.execPath, args: [join(REPO_ROOT, 'dist', 'daemon', 'cli', 'main.js'), 'daemon', '--config', bed.config], env: { NCUPD_TEST_TICK_MS: '500' } });
    void daemon.exited.then((r) => transcript.push(r.command, r.stdout, r.stderr));
    const status = async (): Promise<DaemonStatus | undefined> => {
      if (!existsSync(join(bed.work, 'control.sock'))) return undefined;
      const result = await bed.ncupd(['status', '--json']);
      return result.exitCode === 0 ? parseJson<DaemonStatus>(result.stdout) : undefined;
    };
    const [canary, second, third] = bed.members.map((m) => m.instance) as [FixtureInstance, FixtureInstance, FixtureInstance];
    try {
      const halted = await waitFor('the halt', async () => {
        const s = await status();
        return s?.rollout?.halted ? s : undefined;
      });
      assert.equal(halted.rollout?.halted?.instance, 'node-01');
      assert.equal(halted.rollout?.halted?.result, 'rolled-back');
      // A few more ticks: the halted rollout starts nothing, and no independent run starts either.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.deepEqual([await version(canary), await version(second), await version(third)], ['33.0.5.1', '33.0.5.1', '33.0.5.1']);
      const still = await status();
      assert.ok(still?.instances.every((i) => i.running === undefined && i.updateCount === 0), 'no transaction ran beside the halted rollout');

      bed.fixBadRelease();
      const resumed = await bed.ncupd(['rollout', 'resume', '--json']);
      assert.equal(parseJson<{ resumed: boolean }>(resumed.stdout).resumed, true, resumed.stdout + resumed.stderr);
      const finished = await waitFor('the rest of the rollout', async () => {
        const s = await status();
        return s?.rollout?.finishedAt ? s : undefined;
      });
      assert.deepEqual([await version(second), await version(third)], ['33.0.6.1', '33.0.6.1']);
      // The daemon does not retry by schedule a version that rolled back on an instance (`ncupd now` does): held, and the rollout goes on.
      assert.equal(await version(canary), '33.0.5.1');
      assert.equal(finished.rollout?.rings[0]?.instances['node-01']?.result, 'held');
      for (const m of bed.members.slice(1)) {
        const txid: string = finished.rollout?.rings[1]?.instances[m.name]?.txid ?? '';
        assert.equal(existsSync(join(dirname(m.instance.root), `.ncupd-${m.name}`, txid, 'download', 'nextcloud-33.0.6.zip')), m.ssh, `${m.name}: archive sent over SFTP only when remote`);
      }
    } finally {
      await daemon.stop(60_000);
      await bed.close();
    }
  });
});
