// A rollout over the configured rings (docs/fleets.md): ring after ring, each instance's own
// transaction under the normal policy, at most `parallel` at once, a soak between rings counted
// from the persisted end of the previous ring, and a halt of the whole rollout as soon as one
// instance ends badly. The halt survives restarts until `ncupd rollout resume` clears it.
import { randomBytes } from 'node:crypto';
import type { InstanceConfig, NcupdConfig } from '../config/schema.js';
import type { RunSummary } from '../engine/journal-types.js';
import { acquireLock } from '../engine/lock.js';
import { NcupdError } from '../errors/ncupd-error.js';
import { systemClock, type RolloutClock } from './clock.js';
import { runLimited } from './ring-runner.js';
import { assignRings, type ResolvedRing } from './rings.js';
import { isGoodOutcome, readRolloutState, writeRolloutState, type InstanceRecord, type RolloutHalt, type RolloutState } from './rollout-state.js';

/** The lock of the rollout itself; upper case, so it can never be an instance's lock name. */
export const ROLLOUT_LOCK = 'ROLLOUT';

export type RolloutEvent =
  | { readonly type: 'ring-start'; readonly ring: string; readonly instances: readonly string[] }
  | { readonly type: 'instance-start'; readonly ring: string; readonly instance: string }
  | { readonly type: 'instance-end'; readonly ring: string; readonly instance: string; readonly record: InstanceRecord }
  | { readonly type: 'ring-complete'; readonly ring: string }
  | { readonly type: 'soaking'; readonly ring: string; readonly until: string }
  | { readonly type: 'halted'; readonly halt: RolloutHalt };

export interface RolloutOptions {
  readonly config: NcupdConfig;
  /** One instance's transaction (fleet/run-instance.ts); tests pass a fake. */
  readonly runInstance: (instance: InstanceConfig) => Promise<RunSummary>;
  readonly clock?: RolloutClock;
  /** Wait for a soak in this call (the CLI); false returns `soaking` at once (the daemon's tick). */
  readonly waitForSoak?: boolean;
  /** Stops new starts; running transactions get it too and roll back. */
  readonly signal?: AbortSignal;
  readonly emit?: (event: RolloutEvent) => void;
  /**
   * Asked before an instance starts: a reason when it cannot start now (the daemon: outside its
   * window, paused, busy). It stays pending, its ring does not complete, the outcome is `waiting`.
   */
  readonly defer?: (instance: InstanceConfig) => string | undefined;
  /**
   * Re-checks an instance the previous ring updated, just before the next ring starts (after the
   * soak): a problem found (a reason) halts the rollout. fleet/run-instance.ts has the real one.
   */
  readonly checkHealthy?: (instance: InstanceConfig, record: InstanceRecord) => Promise<string | undefined>;
}

export interface RolloutReport {
  readonly state: RolloutState;
  readonly outcome: 'finished' | 'halted' | 'soaking' | 'cancelled' | 'waiting';
  readonly soakUntil?: string;
  readonly summaries: readonly RunSummary[];
}

function requireRollout(config: NcupdConfig): NonNullable<NcupdConfig['rollout']> {
  if (!config.rollout) throw new NcupdError('NCUPD_ROLLOUT_NOT_CONFIGURED');
  return config.rollout;
}

/** The stored rollout brought in line with the rings as configured now; a new one when none is open. */
function currentState(stored: RolloutState | undefined, rings: readonly ResolvedRing[], now: Date): RolloutState {
  const open = stored && !stored.finishedAt ? stored : undefined;
  const instances: Record<string, InstanceRecord> = {};
  for (const ring of rings) {
    for (const name of ring.instances) {
      const old = open?.instances[name];
      // An instance recorded as running was cut off by a crash: it starts again, and the engine
      // refuses it (NCUPD_UNFINISHED_TRANSACTION, which halts) until its journal is recovered.
      instances[name] = old && old.status !== 'running' ? { ...old, ring: ring.name } : { ring: ring.name, status: 'pending' };
    }
  }
  return {
    id: open?.id ?? `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`,
    startedAt: open?.startedAt ?? now.toISOString(),
    rings: rings.map((ring) => open?.rings.find((r) => r.name === ring.name) ?? { name: ring.name }),
    instances,
    ...(open?.halted ? { halted: open.halted } : {}),
    ...(open?.resumes ? { resumes: open.resumes } : {}),
  };
}

function haltHint(halt: RolloutHalt): string {
  return `Look at ${halt.instance} (\`ncupd status\`, \`ncupd history --instance ${halt.instance}\`), fix the cause (for example hold or remove the bad release), then run \`ncupd rollout resume\` and \`ncupd rollout\`.`;
}

/** One process advances the rollout at a time (`ncupd rollout`, its resume, the daemon). */
async function lockRollout(config: NcupdConfig, command: string): Promise<Awaited<ReturnType<typeof acquireLock>>> {
  try {
    return await acquireLock(config.stateDir, ROLLOUT_LOCK, { txid: 'rollout', command });
  } catch (error) {
    if (!(error instanceof NcupdError) || error.code !== 'NCUPD_LOCKED') throw error;
    throw new NcupdError('NCUPD_LOCKED', { detail: `another ncupd advances the rollout now: ${error.message.replace(/^instance \S+ is /, '')}`, cause: error,
      hint: 'Wait for it (`ncupd status` shows the rollout); with rings configured the daemon advances the rollout by itself in its windows.' });
  }
}

export function haltedError(halt: RolloutHalt): NcupdError {
  return new NcupdError('NCUPD_ROLLOUT_HALTED', {
    instance: halt.instance,
    detail: `the rollout is halted since ${halt.at}: ${halt.instance} (ring ${halt.ring}) ended ${halt.result}${halt.errorCode ? ` (${halt.errorCode})` : ''}: ${halt.reason}`,
    hint: haltHint(halt),
  });
}

/** Starts a rollout, or continues the open one: the next ring, a soak, or the rest of a ring. */
export async function runRollout(options: RolloutOptions): Promise<RolloutReport> {
  const { config } = options;
  const rollout = requireRollout(config);
  const clock = options.clock ?? systemClock;
  const emit = options.emit ?? (() => undefined);
  const { rings, problems } = assignRings(rollout, config.instances.map((i) => i.name));
  if (problems.length > 0) throw new NcupdError('NCUPD_CONFIG_INVALID', { detail: `rollout: ${problems.join('; ')}` });
  const lock = await lockRollout(config, 'ncupd rollout');
  try {
    let state = currentState(await readRolloutState(config.stateDir), rings, clock.now());
    if (state.halted) throw haltedError(state.halted);
    // Writes are queued so concurrent instance ends never interleave; the file always holds a whole state.
    let saving: Promise<void> = Promise.resolve();
    let saveError: unknown;
    const save = (): Promise<void> => {
      const snapshot = state;
      saving = saving.then(() => writeRolloutState(config.stateDir, snapshot)).catch((error: unknown) => {
        saveError ??= error;
      });
      return saving;
    };
    const flush = async () => {
      await saving;
      if (saveError) throw saveError;
    };
    const summaries: RunSummary[] = [];
    await save();
    for (const [index, ring] of rings.entries()) {
      const record = () => state.rings[index]!;
      const todo = ring.instances.filter((name) => state.instances[name]?.status !== 'done');
      if (todo.length === 0 && record().completedAt) continue;
      const previous = index > 0 ? state.rings[index - 1] : undefined;
      // A ring already started has soaked before (a restart mid-ring does not soak again).
      if (!record().startedAt && previous?.completedAt) {
        const until = Date.parse(previous.completedAt) + rollout.soakMinutes * 60_000;
        if (clock.now().getTime() < until) {
          emit({ type: 'soaking', ring: ring.name, until: new Date(until).toISOString() });
          if (!options.waitForSoak) return { state, outcome: 'soaking', soakUntil: new Date(until).toISOString(), summaries };
          // In steps of at most an hour: a long soak outlives setTimeout's range, and the clock is re-read.
          while (clock.now().getTime() < until && !options.signal?.aborted) await clock.sleep(Math.min(until - clock.now().getTime(), 3_600_000), options.signal);
          if (options.signal?.aborted) return { state, outcome: 'cancelled', summaries };
        }
      }
      if (!record().startedAt && index > 0 && options.checkHealthy) {
        const halt = await recheckRing(rings[index - 1]!, state, options.checkHealthy, rollout.parallel, clock, config);
        if (halt) {
          state = { ...state, halted: halt };
          emit({ type: 'halted', halt });
          await save();
          await flush();
          return { state, outcome: 'halted', summaries };
        }
      }
      state = { ...state, rings: state.rings.map((r, i) => (i === index ? { ...r, startedAt: r.startedAt ?? clock.now().toISOString() } : r)) };
      await save();
      emit({ type: 'ring-start', ring: ring.name, instances: todo });
      const setInstance = (name: string, next: InstanceRecord) => {
        state = { ...state, instances: { ...state.instances, [name]: next } };
      };
      await runLimited(todo, async (name) => {
        const instance = config.instances.find((i) => i.name === name)!;
        if (options.defer?.(instance) !== undefined) return;
        const previous: InstanceRecord = state.instances[name] ?? { ring: ring.name, status: 'pending' };
        setInstance(name, { ring: ring.name, status: 'running', startedAt: clock.now().toISOString() });
        await save();
        emit({ type: 'instance-start', ring: ring.name, instance: name });
        let ended: InstanceRecord;
        try {
          const summary = await options.runInstance(instance);
          summaries.push(summary);
          ended = {
            ring: ring.name, status: isGoodOutcome(summary.result) ? 'done' : 'failed', result: summary.result, txid: summary.txid, from: summary.from,
            ...(summary.to ? { to: summary.to } : {}), ...(summary.errorCode ? { errorCode: summary.errorCode } : {}), ...(summary.message ? { message: summary.message } : {}),
            startedAt: summary.startedAt, endedAt: summary.endedAt,
          };
        } catch (error) {
          // Busy with another ncupd (`ncupd now`, the daemon): not a failure of the instance; it stays pending.
          if (error instanceof NcupdError && error.code === 'NCUPD_LOCKED') {
            setInstance(name, { ...previous, ring: ring.name });
            await save();
            return;
          }
          ended = {
            ring: ring.name, status: 'failed', result: 'error', startedAt: state.instances[name]?.startedAt, endedAt: clock.now().toISOString(),
            ...(error instanceof NcupdError ? { errorCode: error.code } : {}), message: error instanceof Error ? error.message : String(error),
          };
        }
        setInstance(name, ended);
        // A transaction the operator cancelled is retried by the next `ncupd rollout`; it is no reason to halt.
        if (ended.status === 'failed' && !state.halted && !options.signal?.aborted) {
          const halt: RolloutHalt = { at: clock.now().toISOString(), ring: ring.name, instance: name, result: ended.result!, ...(ended.errorCode ? { errorCode: ended.errorCode } : {}), reason: ended.message ?? ended.result! };
          state = { ...state, halted: halt };
          emit({ type: 'halted', halt });
        }
        await save();
        emit({ type: 'instance-end', ring: ring.name, instance: name, record: ended });
      }, { parallel: rollout.parallel, shouldStop: () => state.halted !== undefined || options.signal?.aborted === true || saveError !== undefined });
      await flush();
      if (state.halted) return { state, outcome: 'halted', summaries };
      if (options.signal?.aborted) return { state, outcome: 'cancelled', summaries };
      if (ring.instances.some((name) => state.instances[name]?.status !== 'done')) return { state, outcome: 'waiting', summaries };
      state = { ...state, rings: state.rings.map((r, i) => (i === index ? { ...r, completedAt: clock.now().toISOString() } : r)) };
      await save();
      emit({ type: 'ring-complete', ring: ring.name });
    }
    state = { ...state, finishedAt: clock.now().toISOString() };
    await save();
    await flush();
    return { state, outcome: 'finished', summaries };
  } finally {
    await lock.release();
  }
}

/** The previous ring's updated instances, still healthy after the soak? The first problem found becomes the halt. */
async function recheckRing(ring: ResolvedRing, state: RolloutState, check: NonNullable<RolloutOptions['checkHealthy']>, parallel: number,
  clock: RolloutClock, config: NcupdConfig): Promise<RolloutHalt | undefined> {
  let halt: RolloutHalt | undefined;
  const updated = ring.instances.filter((name) => state.instances[name]?.result === 'updated');
  await runLimited(updated, async (name) => {
    const instance = config.instances.find((i) => i.name === name)!;
    const problem = await check(instance, state.instances[name]!).catch((error: unknown) => `the re-check failed: ${error instanceof Error ? error.message : String(error)}`);
    halt ??= problem === undefined ? undefined : { at: clock.now().toISOString(), ring: ring.name, instance: name, result: 'unhealthy', reason: `re-checked before the next ring: ${problem}` };
  }, { parallel, shouldStop: () => halt !== undefined });
  return halt;
}

/** `ncupd rollout resume`: clears the halt; the instances that ended badly are tried again by the next `ncupd rollout`. */
export async function resumeRollout(config: NcupdConfig, clock: RolloutClock = systemClock): Promise<{ state: RolloutState | undefined; cleared?: RolloutHalt }> {
  requireRollout(config);
  const lock = await lockRollout(config, 'ncupd rollout resume');
  try {
    const state = await readRolloutState(config.stateDir);
    if (!state?.halted) return { state };
    const instances = Object.fromEntries(Object.entries(state.instances).map(([name, r]) => [name, r.status === 'failed' ? { ...r, status: 'pending' as const } : r]));
    const { halted: _cleared, ...rest } = state;
    const next: RolloutState = { ...rest, instances, resumes: [...(state.resumes ?? []), { at: clock.now().toISOString(), halt: state.halted }] };
    await writeRolloutState(config.stateDir, next);
    return { state: next, cleared: state.halted };
  } finally {
    await lock.release();
  }
}
