import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseConfig } from '../../../daemon/config/load-config.js';
import type { InstanceConfig, NcupdConfig } from '../../../daemon/config/schema.js';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { resumeRollout, runRollout } from '../../../daemon/fleet/rollout.js';
import { readRolloutState, writeRolloutState } from '../../../daemon/fleet/rollout-state.js';
import { fakeClock, fleetConfig, summaryOf } from './fake-fleet.js';

const MINUTE = 60_000;

/** A runner that records what it ran and answers `results[name]` (default updated). */
function recordingRunner(results: Record<string, RunSummary['result'] | Error> = {}, ms = 1) {
  const ran: string[] = [];
  let running = 0;
  const stats = { most: 0 };
  const run = async (instance: InstanceConfig): Promise<RunSummary> => {
    ran.push(instance.name);
    running += 1;
    stats.most = Math.max(stats.most, running);
    await delay(ms);
    running -= 1;
    const wanted = results[instance.name] ?? 'updated';
    if (wanted instanceof Error) throw wanted;
    return summaryOf(instance.name, wanted);
  };
  return { ran, stats, run };
}

describe('fleet: rollout orchestration (fake transactions, injectable clock)', () => {
  const configs: NcupdConfig[] = [];
  const make = (count: number, rollout: Record<string, unknown>) => {
    const config = fleetConfig(count, rollout);
    configs.push(config);
    return config;
  };
  after(() => configs.forEach((c) => rmSync(c.stateDir, { recursive: true, force: true })));
  const twoRings = { rings: [{ name: 'canary', instances: ['node-01', 'node-02', 'node-03'] }, { name: 'rest', instances: ['*'] }], soakMinutes: 30, parallel: 3 };

  it('halts when a canary rolls back: the rest of the canary ring ends, the next ring never starts, until resume', async () => {
    const config = make(10, twoRings);
    const clock = fakeClock();
    const first = recordingRunner({ 'node-02': 'rolled-back' });
    const report = await runRollout({ config, clock, runInstance: first.run, waitForSoak: true });
    assert.equal(report.outcome, 'halted');
    assert.deepEqual([...first.ran].sort(), ['node-01', 'node-02', 'node-03'], 'only the canary ring ran');
    assert.equal(report.state.halted?.instance, 'node-02');
    assert.equal(report.state.halted?.errorCode, 'NCUPD_UPGRADE_FAILED');
    assert.equal(report.state.instances['node-01']?.result, 'updated');
    assert.equal(report.state.instances['node-04']?.status, 'pending');
    // The halt is on disk: a new process (or the daemon) refuses to go on and runs nothing.
    assert.equal((await readRolloutState(config.stateDir))?.halted?.instance, 'node-02');
    const blocked = recordingRunner();
    await assert.rejects(runRollout({ config, clock, runInstance: blocked.run }), (e) => isNcupdError(e) && e.code === 'NCUPD_ROLLOUT_HALTED' && e.instance === 'node-02');
    assert.deepEqual(blocked.ran, []);
    // Resume: the failed canary is tried again, then the soak, then the rest.
    const resumed = await resumeRollout(config, clock);
    assert.equal(resumed.cleared?.instance, 'node-02');
    const second = recordingRunner();
    const done = await runRollout({ config, clock, runInstance: second.run, waitForSoak: true });
    assert.equal(done.outcome, 'finished');
    assert.equal(second.ran[0], 'node-02', 'the failed canary first');
    assert.deepEqual([...second.ran.slice(1)].sort(), ['node-04', 'node-05', 'node-06', 'node-07', 'node-08', 'node-09', 'node-10']);
    assert.deepEqual(clock.slept, [30 * MINUTE], 'the soak was waited for once, in full');
    assert.ok(Object.values(done.state.instances).every((r) => r.status === 'done'));
    assert.equal(done.state.resumes?.length, 1);
  });

  it('halts on failed, rollback-failed and on a transaction that cannot start, not on up-to-date, held or blocked', async () => {
    for (const bad of ['failed', 'rollback-failed', new Error('cannot connect')] as const) {
      const config = make(4, { rings: [{ name: 'all', instances: ['*'] }], parallel: 1 });
      const report = await runRollout({ config, clock: fakeClock(), runInstance: recordingRunner({ 'node-02': bad }).run });
      assert.equal(report.outcome, 'halted', String(bad));
      assert.equal(report.state.halted?.result, bad instanceof Error ? 'error' : bad);
      assert.equal(report.state.instances['node-03']?.status, 'pending', 'parallel 1: nothing after the halt started');
    }
    const config = make(4, { rings: [{ name: 'all', instances: ['*'] }], parallel: 2 });
    const report = await runRollout({ config, clock: fakeClock(), runInstance: recordingRunner({ 'node-01': 'up-to-date', 'node-02': 'held', 'node-03': 'blocked' }).run });
    assert.equal(report.outcome, 'finished');
  });

  it('keeps at most `parallel` transactions running at once', async () => {
    const config = make(12, { rings: [{ name: 'all', instances: ['*'] }], parallel: 3 });
    // Long enough that every worker is busy at once, even when a state write (fsync) is slow.
    const runner = recordingRunner({}, 100);
    await runRollout({ config, clock: fakeClock(), runInstance: runner.run });
    assert.equal(runner.stats.most, 3);
    assert.equal(runner.ran.length, 12);
  });

  it('keeps the soak across a restart: it counts from the persisted end of the ring', async () => {
    const config = make(4, { rings: [{ name: 'canary', instances: ['node-01'] }, { name: 'rest', instances: ['*'] }], soakMinutes: 60 });
    const clock = fakeClock();
    const canaryEnd = clock.now().toISOString();
    const first = await runRollout({ config, clock, runInstance: recordingRunner().run, waitForSoak: false });
    assert.equal(first.outcome, 'soaking');
    assert.equal(first.soakUntil, new Date(Date.parse(canaryEnd) + 60 * MINUTE).toISOString());
    // "Restart" 20 minutes later: the same end time, nothing of the next ring ran.
    clock.advance(20 * MINUTE);
    const runner = recordingRunner();
    const again = await runRollout({ config, clock, runInstance: runner.run, waitForSoak: false });
    assert.equal(again.outcome, 'soaking');
    assert.equal(again.soakUntil, first.soakUntil);
    assert.deepEqual(runner.ran, []);
    // Waiting now sleeps only what is left.
    const done = await runRollout({ config, clock, runInstance: runner.run, waitForSoak: true });
    assert.equal(done.outcome, 'finished');
    assert.deepEqual(clock.slept, [40 * MINUTE]);
    assert.deepEqual(runner.ran.sort(), ['node-02', 'node-03', 'node-04']);
    // A finished rollout is not repeated: the next `ncupd rollout` starts a new one.
    const next = await runRollout({ config, clock, runInstance: recordingRunner().run, waitForSoak: false });
    assert.notEqual(next.state.id, done.state.id);
  });

  it('starts again an instance a crash left running (the engine then decides), without a new soak', async () => {
    const config = make(3, { rings: [{ name: 'canary', instances: ['node-01'] }, { name: 'rest', instances: ['*'] }], soakMinutes: 60 });
    const clock = fakeClock();
    await runRollout({ config, clock, runInstance: recordingRunner().run, waitForSoak: true });
    const state = (await readRolloutState(config.stateDir))!;
    // As a crash in the middle of ring "rest" leaves it.
    await writeRolloutState(config.stateDir, { ...state, finishedAt: undefined, rings: [state.rings[0]!, { name: 'rest', startedAt: clock.now().toISOString() }],
      instances: { ...state.instances, 'node-02': { ring: 'rest', status: 'done', result: 'updated' }, 'node-03': { ring: 'rest', status: 'running' } } });
    const slept = clock.slept.length;
    const runner = recordingRunner();
    const report = await runRollout({ config, clock, runInstance: runner.run, waitForSoak: true });
    assert.equal(report.outcome, 'finished');
    assert.deepEqual(runner.ran, ['node-03']);
    assert.equal(clock.slept.length, slept, 'no second soak for a ring already started');
  });

  it('waits for an instance that cannot start now (the daemon outside its window) without halting or moving on', async () => {
    const config = make(3, { rings: [{ name: 'canary', instances: ['node-01', 'node-02'] }, { name: 'rest', instances: ['*'] }], soakMinutes: 0 });
    const clock = fakeClock();
    const runner = recordingRunner();
    const waiting = await runRollout({ config, clock, runInstance: runner.run, defer: (i) => (i.name === 'node-02' ? 'outside its maintenance windows' : undefined) });
    assert.equal(waiting.outcome, 'waiting');
    assert.deepEqual(runner.ran, ['node-01']);
    assert.equal(waiting.state.instances['node-02']?.status, 'pending');
    assert.equal(waiting.state.rings[0]?.completedAt, undefined);
    assert.equal(waiting.state.halted, undefined);
    const done = await runRollout({ config, clock, runInstance: runner.run });
    assert.equal(done.outcome, 'finished');
    assert.deepEqual(runner.ran, ['node-01', 'node-02', 'node-03']);
  });

  it('re-checks the updated instances of the previous ring after the soak, and halts when one is no longer healthy', async () => {
    const config = make(4, { rings: [{ name: 'canary', instances: ['node-01', 'node-02'] }, { name: 'rest', instances: ['*'] }], soakMinutes: 10, parallel: 2 });
    const clock = fakeClock();
    const runner = recordingRunner({ 'node-02': 'up-to-date' });
    const checked: string[] = [];
    let broken = true;
    const checkHealthy = async (instance: InstanceConfig) => {
      checked.push(instance.name);
      return broken && instance.name === 'node-01' ? 'maintenance mode is on' : undefined;
    };
    const halted = await runRollout({ config, clock, runInstance: runner.run, checkHealthy, waitForSoak: true });
    assert.equal(halted.outcome, 'halted');
    assert.deepEqual(checked, ['node-01'], 'only the updated instance is re-checked (node-02 was up to date)');
    assert.deepEqual(halted.state.halted && [halted.state.halted.instance, halted.state.halted.ring, halted.state.halted.result], ['node-01', 'canary', 'unhealthy']);
    assert.match(halted.state.halted?.reason ?? '', /maintenance mode is on/);
    assert.deepEqual(runner.ran.sort(), ['node-01', 'node-02'], 'the next ring did not start');
    broken = false;
    await resumeRollout(config, clock);
    const done = await runRollout({ config, clock, runInstance: runner.run, checkHealthy, waitForSoak: true });
    assert.equal(done.outcome, 'finished');
    assert.deepEqual(runner.ran.slice(2).sort(), ['node-03', 'node-04'], 'the healthy-again canary is not updated twice');
  });

  it('lets one process advance the rollout at a time', async () => {
    const config = make(2, { rings: [{ name: 'all', instances: ['*'] }] });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = runRollout({ config, clock: fakeClock(), runInstance: async (i) => {
      await gate;
      return summaryOf(i.name, 'updated');
    } });
    await delay(50);
    await assert.rejects(runRollout({ config, clock: fakeClock(), runInstance: recordingRunner().run }), (e) => isNcupdError(e) && e.code === 'NCUPD_LOCKED' && /another ncupd advances the rollout/.test(e.message));
    await assert.rejects(resumeRollout(config), (e) => isNcupdError(e) && e.code === 'NCUPD_LOCKED');
    release();
    assert.equal((await slow).outcome, 'finished');
  });

  it('refuses a config whose rings leave an instance out or name one that does not exist', () => {
    const instances = [{ name: 'a1', path: '/srv/a1' }, { name: 'a2', path: '/srv/a2' }, { name: 'b1', path: '/srv/b1' }];
    const problems = (rollout: unknown): string => {
      try {
        parseConfig({ instances, rollout }, 'test');
        return '';
      } catch (error) {
        assert.ok(isNcupdError(error) && error.code === 'NCUPD_CONFIG_INVALID');
        return error.message;
      }
    };
    assert.equal(problems({ rings: [{ name: 'canary', instances: ['a1'] }, { name: 'rest', instances: ['*'] }] }), '');
    assert.match(problems({ rings: [{ name: 'canary', instances: ['a*'] }] }), /"b1" in no ring at rollout\.rings/);
    assert.match(problems({ rings: [{ name: 'canary', instances: ['a3'] }, { name: 'rest', instances: ['*'] }] }), /"a3" matches no configured instance at rollout\.rings\[0\]\.instances\[0\]/);
    assert.match(problems({ rings: [{ name: 'x', instances: ['*'] }, { name: 'x', instances: ['a1'] }] }), /duplicate ring name "x"/);
    assert.match(problems({ rings: [{ name: 'all', instances: ['*'] }, { name: 'late', instances: ['a1'] }] }), /ring "late" gets no instance/);
    assert.match(problems({ rings: [{ name: 'all', instances: ['*'] }], parallel: 0 }), /rollout\.parallel/);
  });
});
