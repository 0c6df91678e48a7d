// The rollout end to end (issue 6): real fixture instances (SQLite), real transactions through
// `ncupd rollout`, one canary whose own update server offers a release with a failing migration.
// Default tier: 4 instances in 2 rings. Full tier: 22 instances in 2 rings, 4 of them (2 per ring)
// over the harness sshd on loopback (the other helpers' SSH suites cover what loopback cannot catch).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import type { RolloutView } from '../../../daemon/fleet/rollout-view.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../fixtures/harness/sshd.js';
import type { FixtureInstance } from '../../fixtures/harness/instance.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson } from '../../helpers/run-ncupd.js';
import { findLeaks } from '../../helpers/secret-scan.js';
import { FULL_TIER } from '../../helpers/tier.js';
import { makeFleet, memberName, type FleetBed } from './fleet-bed.js';

interface RolloutJson { outcome: string; rollout: RolloutView; summaries: RunSummary[] }

async function occStatus(instance: FixtureInstance) {
  const result = await instance.occ(['status', '--output=json']);
  const status = JSON.parse(result.stdout) as { version: string; maintenance: boolean };
  return `${status.version} maintenance=${status.maintenance}`;
}

const UPDATED = '33.0.6.1 maintenance=false';
const OLD = '33.0.5.1 maintenance=false';

async function scenario(bed: FleetBed, canary: readonly string[], badName: string): Promise<void> {
  const bad = bed.members.find((m) => m.name === badName)!;
  const before = await instanceState(bad.instance);
  const outputs: string[] = [];

  const first = await bed.rollout(['--json']);
  outputs.push(first.stdout, first.stderr);
  assert.equal(first.exitCode, 7, `a rolled-back canary ends the command with 7\n${first.stdout}\n${first.stderr}`);
  const halted = parseJson<RolloutJson>(first.stdout);
  assert.equal(halted.outcome, 'halted');
  assert.equal(halted.rollout.halted?.instance, badName);
  assert.equal(halted.rollout.halted?.result, 'rolled-back');
  assert.equal(halted.rollout.halted?.errorCode, 'NCUPD_UPGRADE_FAILED');
  for (const m of bed.members) {
    const inCanary = canary.includes(m.name);
    const expected = !inCanary || m.name === badName ? OLD : UPDATED;
    assert.equal(await occStatus(m.instance), expected, `${m.name} (${inCanary ? 'canary' : 'second ring'}) after the halt`);
  }
  // The failed canary is whole: code, config, every row and file as before.
  const after = await instanceState(bad.instance);
  assert.deepEqual(after, before, `${badName} rolled back whole`);
  // The second ring was never touched: no transaction ran there.
  const ranFirst = new Set(halted.summaries.map((s) => s.instance));
  assert.deepEqual([...ranFirst].sort(), [...canary].sort(), 'only the canary ring ran');

  // `ncupd status` shows every instance and the halted rollout.
  const status = await bed.ncupd(['status', '--json']);
  outputs.push(status.stdout, status.stderr);
  const shown = parseJson<{ instances: { name: string }[]; rollout: RolloutView }>(status.stdout);
  assert.deepEqual(shown.instances.map((i) => i.name), bed.members.map((m) => m.name));
  assert.equal(shown.rollout.halted?.instance, badName);
  const text = await bed.ncupd(['status']);
  outputs.push(text.stdout, text.stderr);
  assert.match(text.stdout, /HALTED/);
  assert.match(text.stdout, new RegExp(`${badName}: rolled-back 33\\.0\\.5\\.1 -> 33\\.0\\.6\\.1 \\(NCUPD_UPGRADE_FAILED\\)`));

  // Halted stays halted, across processes, until resumed.
  const again = await bed.rollout(['--json']);
  outputs.push(again.stdout, again.stderr);
  assert.equal(parseJson<{ error: { code: string } }>(again.stdout).error.code, 'NCUPD_ROLLOUT_HALTED');
  assert.notEqual(again.exitCode, 0);
  for (const m of bed.members.filter((x) => !canary.includes(x.name))) assert.equal(await occStatus(m.instance), OLD, `${m.name} still untouched`);

  // The operator replaces the bad release and resumes: the failed canary and the second ring update.
  bed.fixBadRelease();
  const resumed = await bed.ncupd(['rollout', 'resume', '--json']);
  outputs.push(resumed.stdout, resumed.stderr);
  assert.equal(resumed.exitCode, 0, resumed.stderr);
  assert.equal(parseJson<{ resumed: boolean }>(resumed.stdout).resumed, true);
  const rest = await bed.rollout(['--json']);
  outputs.push(rest.stdout, rest.stderr);
  assert.equal(rest.exitCode, 0, `${rest.stdout}\n${rest.stderr}`);
  const finished = parseJson<RolloutJson>(rest.stdout);
  assert.equal(finished.outcome, 'finished');
  assert.deepEqual(finished.summaries.map((s) => s.instance).sort(), [badName, ...bed.members.map((m) => m.name).filter((n) => !canary.includes(n))].sort(),
    'after resume: the failed canary and the second ring, not the canaries already updated');
  for (const m of bed.members) assert.equal(await occStatus(m.instance), UPDATED, `${m.name} at the end`);
  // The SSH members really went over SSH: their archive was sent over SFTP into the run's folder on the target.
  for (const summary of [...halted.summaries, ...finished.summaries].filter((s) => s.result === 'updated')) {
    const member = bed.members.find((m) => m.name === summary.instance)!;
    const copy = join(dirname(member.instance.root), `.ncupd-${member.name}`, summary.txid, 'download', 'nextcloud-33.0.6.zip');
    assert.equal(existsSync(copy), member.ssh, `${member.name}: archive copy in the run folder only over SSH`);
  }
  const secrets = bed.members.map((m) => m.instance.database.password).filter((p) => p.length > 0);
  assert.deepEqual(findLeaks(outputs, secrets), []);
}

describe('ncupd rollout over a fleet (real transactions, SQLite, archive strategy)', function () {
  this.timeout(1_800_000);

  it('4 instances in 2 rings: a canary rolls back, the rollout halts before the second ring, resume finishes it', async () => {
    const bed = await makeFleet({ count: 4, rings: [{ name: 'canary', instances: ['node-01', 'node-02'] }, { name: 'rest', instances: ['*'] }], bad: ['node-02'], parallel: 2 });
    try {
      await scenario(bed, ['node-01', 'node-02'], 'node-02');
    } finally {
      await bed.close();
    }
  });

  describe('22 instances, 4 over SSH (full tier)', () => {
    let server: SshdServer | undefined;
    before(async function () {
      if (!FULL_TIER) this.skip();
      if (await sshdAvailable()) server = await startSshd({ user: 'root' });
    });
    after(async () => server?.stop());

    it('canary ring of 6 (2 over SSH, one local failing) halts; the 16 others wait; resume updates them all', async () => {
      const canary = Array.from({ length: 6 }, (_, i) => memberName(i));
      // Over SSH: two canaries (one of them runs beside the failing one) and two of the second
      // ring (held back by the halt, updated after the resume). node-05, local, fails.
      const bed = await makeFleet({
        count: 22, rings: [{ name: 'canary', instances: canary }, { name: 'rest', instances: ['node-*'] }], bad: ['node-05'], parallel: 4,
        ...(server ? { ssh: { server, names: ['node-01', 'node-04', 'node-07', 'node-22'] } } : {}),
      });
      try {
        await scenario(bed, canary, 'node-05');
      } finally {
        await bed.close();
      }
    });
  });
});
