// `ncupd daemon` (issue 7): recovers at start, checks for releases on a schedule, applies them
// inside each instance's maintenance windows after the soak delay, never two transactions on one
// instance, serves the control socket and the status source, reloads its config on SIGHUP (a bad
// config keeps the old one), and stops gracefully (a running transaction rolls back first).
import cron from 'node-cron';
import { loadConfigFile } from '../config/load-config.js';
import type { InstanceConfig } from '../config/schema.js';
import type { ProgressEvent } from '../engine/context.js';
import { readHistory } from '../engine/history.js';
import { errorText, listUnfinishedTransactions } from '../engine/journal.js';
import type { RunSummary } from '../engine/journal-types.js';
import { ROLLBACK_STOP_EXTENSION_S } from '../engine/systemd-notify.js';
import { holdTimeout } from './sd-notify.js';
import { NcupdError } from '../errors/ncupd-error.js';
import { hostKindOf, withInstanceHost } from '../hosts/registry.js';
import { checkRelease, type CheckResult } from '../releases/check-release.js';
import { windowState } from './cron-window.js';
import { dataSnapshotStatus, lastSnapshot, lastSnapshotOn } from './snapshot-status.js';
import { readDaemonState, withInstance, writeDaemonState, type DaemonMemory } from './daemon-state.js';
import type { DaemonStatus, InstanceStatus } from './status-model.js';
import type { DaemonOptions, RunningDaemon } from './daemon-types.js';
import { daemonRollout, type Gate } from './daemon-rollout.js';

export type { DaemonLog, DaemonOptions, RunningDaemon } from './daemon-types.js';

interface Running {
  readonly txid: string;
  stage: string;
  readonly since: string;
  readonly abort: AbortController;
  readonly listeners: Set<(event: ProgressEvent) => void>;
  readonly done: Promise<RunSummary>;
}

interface Runtime {
  check?: CheckResult;
  /** Newest snapshot of an SSH instance, read on its host at the last check. */
  remoteSnapshot?: InstanceStatus['lastSnapshot'];
  lastCheckAt?: string;
  lastCheckError?: string;
  running?: Running;
  /** Next recovery attempt of a transaction a crash or a missing resource left open. */
  recoveryAt?: number;
  /** A recovery runs now (it may wait long for a database server). */
  recovering?: Promise<void>;
  recoveryDelayMs?: number;
}

const RECOVERY_FIRST_DELAY_MS = 60_000;
const RECOVERY_MAX_DELAY_MS = 30 * 60_000;

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { host, log } = options;
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  let config = loadConfigFile(options.configPath);
  let configLoadedAt = startedAt;
  let configError: string | undefined;
  let memory: DaemonMemory = await readDaemonState(config.stateDir);
  const runtime = new Map<string, Runtime>();
  const rt = (name: string): Runtime => {
    let r = runtime.get(name);
    if (!r) runtime.set(name, (r = {}));
    return r;
  };
  let stopping = false;
  // Aborted on stop: a recovery waiting for a missing resource gives up at once (the transaction stays open).
  const stopSignal = new AbortController();
  let lastTick = Date.now();
  const instanceOf = (name: string): InstanceConfig => {
    const found = config.instances.find((i) => i.name === name);
    if (!found) throw new NcupdError('NCUPD_INSTANCE_UNKNOWN', { detail: `no instance "${name}" (configured: ${config.instances.map((i) => i.name).join(', ')})` });
    return found;
  };
  const saveMemory = async (next: DaemonMemory) => {
    memory = next;
    await writeDaemonState(config.stateDir, memory);
  };

  /** Recovery in the background: start-up (READY) and other instances never wait for it. */
  function recover(instance: InstanceConfig): Promise<void> {
    const r = rt(instance.name);
    r.recovering ??= recoverNow(instance).finally(() => {
      r.recovering = undefined;
    });
    return r.recovering;
  }

  async function recoverNow(instance: InstanceConfig): Promise<void> {
    const r = rt(instance.name);
    try {
      const { recoverInstance } = await import('../engine/recover.js');
      // A remote instance's transaction is recovered over its own connection (the journal is here).
      const summaries = await withInstanceHost(instance, host, (instanceHost) => recoverInstance({
        host: instanceHost, config, instance, signal: stopSignal.signal,
        emit: (event) => {
          if (event.type === 'alert') options.onAlert?.(instance.name, event.message);
          if (event.type === 'note' || event.type === 'waiting') log.info(`${instance.name}: recovery: ${event.type === 'note' ? event.message : `waiting for ${event.resource}`}`);
        },
      }));
      for (const s of summaries) {
        log.warn(`${instance.name}: recovered transaction ${s.txid}: ${s.result} (${s.message ?? ''})`);
        options.onRunFinished?.(s);
      }
      // A check at start may have read the half-updated instance while it was recovered (the new
      // version's code): that answer is stale, or the scheduler would skip a due update.
      if (summaries.length > 0) {
        r.check = undefined;
        if (!stopping) void check(instance);
      }
      const open = await listUnfinishedTransactions(config.stateDir, instance.name);
      if (open.length === 0) {
        r.recoveryAt = undefined;
        r.recoveryDelayMs = undefined;
        return;
      }
      throw new Error(`transaction ${open[0]!.txid} is still open`);
    } catch (error) {
      // A missing resource: retried with backoff; the instance stays in maintenance meanwhile.
      r.recoveryDelayMs = Math.min((r.recoveryDelayMs ?? RECOVERY_FIRST_DELAY_MS / 2) * 2, RECOVERY_MAX_DELAY_MS);
      r.recoveryAt = Date.now() + r.recoveryDelayMs;
      const message = `${instance.name}: recovery not finished (${errorText(error)}); next attempt in ${Math.round(r.recoveryDelayMs / 1000)} s`;
      log.error(message);
      options.onAlert?.(instance.name, message);
    }
  }

  async function check(instance: InstanceConfig): Promise<void> {
    const r = rt(instance.name);
    try {
      const result = await withInstanceHost(instance, host, async (instanceHost) => {
        const checked = await checkRelease(instanceHost, instance, {});
        if (hostKindOf(instance) === 'ssh') r.remoteSnapshot = await lastSnapshotOn(instanceHost, config.stateDir, instance.name);
        return checked;
      });
      r.check = result;
      r.lastCheckAt = now().toISOString();
      r.lastCheckError = undefined;
      const target = result.verdict.target?.version;
      if (target && !memory.instances[instance.name]?.firstSeen[target]) {
        await saveMemory(withInstance(memory, instance.name, (m) => ({ ...m, firstSeen: { ...m.firstSeen, [target]: now().toISOString() } })));
      }
      log.info(`${instance.name}: ${result.instance.installedVersion} installed; ${result.verdict.decision}: ${result.verdict.reason}`);
      options.onChecked?.();
    } catch (error) {
      r.lastCheckAt = now().toISOString();
      r.lastCheckError = errorText(error);
      log.warn(`${instance.name}: check failed: ${r.lastCheckError}`);
    }
  }

  async function checkAll(): Promise<void> {
    for (const instance of config.instances) if (!rt(instance.name).running) await check(instance);
  }

  /**
   * Whether the scheduler may start a transaction now: `later` when the instance is busy, paused,
   * unchecked or outside its windows; `skip` when the policy or the soak says no update is due.
   */
  function gate(instance: InstanceConfig): Gate {
    const r = rt(instance.name);
    const later = (reason: string) => ({ kind: 'later' as const, reason });
    if (r.running) return later(`transaction ${r.running.txid} is running`);
    if (r.recovering) return later('recovering an interrupted transaction');
    if (memory.instances[instance.name]?.paused) return later('paused');
    if (r.recoveryAt !== undefined) return later('an interrupted transaction waits for recovery');
    const verdict = r.check?.verdict;
    if (!verdict) return later('not checked yet');
    if (verdict.decision !== 'apply' || !verdict.target) {
      return { kind: 'skip', reason: verdict.reason, result: verdict.decision === 'up-to-date' ? 'up-to-date' : verdict.decision === 'blocked' ? 'blocked' : 'held' };
    }
    const failedAt = memory.instances[instance.name]?.failed?.[verdict.target.version];
    if (failedAt) return { kind: 'skip', result: 'held', reason: `the update to ${verdict.target.version} was rolled back at ${failedAt}; the schedule does not retry it (\`ncupd now\` does, a newer release will be tried)` };
    const seen = memory.instances[instance.name]?.firstSeen[verdict.target.version];
    const soakEnds = seen ? Date.parse(seen) + instance.soakHours * 3_600_000 : undefined;
    if (soakEnds === undefined || soakEnds > now().getTime()) return { kind: 'skip', result: 'held', reason: `soaking until ${new Date(soakEnds ?? 0).toISOString()}` };
    if (!windowState(instance.windows, now()).open) return later('outside its maintenance windows');
    return { kind: 'now' };
  }

  /** Why the scheduler does not start a transaction now, or undefined when it may. */
  function blockedBecause(instance: InstanceConfig): string | undefined {
    const g = gate(instance);
    return g.kind === 'now' ? undefined : g.reason;
  }

  async function startTransaction(name: string, trigger: string, listener?: (event: ProgressEvent) => void): Promise<{ txid: string; done: Promise<RunSummary> }> {
    if (stopping) throw new NcupdError('NCUPD_LOCKED', { instance: name, detail: 'the daemon is stopping' });
    const instance = instanceOf(name);
    const r = rt(name);
    if (r.running) {
      throw new NcupdError('NCUPD_LOCKED', { instance: name, detail: `instance ${name} is busy: transaction ${r.running.txid} (${r.running.stage}) runs since ${r.running.since}` });
    }
    if (r.recovering) throw new NcupdError('NCUPD_LOCKED', { instance: name, detail: `instance ${name} is busy: recovery of an interrupted transaction runs` });
    const abort = new AbortController();
    const listeners = new Set<(event: ProgressEvent) => void>(listener ? [listener] : []);
    let resolveTxid: (txid: string) => void = () => undefined;
    const txidKnown = new Promise<string>((resolve) => (resolveTxid = resolve));
    const running: Running = {
      txid: '', stage: 'starting', since: now().toISOString(), abort, listeners,
      done: undefined as unknown as Promise<RunSummary>,
    };
    r.running = running;
    log.info(`${name}: transaction started (${trigger})`);
    // The engine (strategies, snapshots, checks) loads with the first run, not at start (docs/performance.md).
    // A remote instance gets its SSH host, as with `ncupd now` (a rollout's rings mix both).
    const done = import('../engine/run-update.js').then(({ runUpdate }) => withInstanceHost(instance, host, (instanceHost) => runUpdate({
      host: instanceHost, orchestrator: instanceHost === host ? undefined : host, config, instance, signal: abort.signal,
      emit: (event) => {
        if (event.type === 'stage-start') {
          running.stage = event.stage;
          options.onActivity?.(`${name}: ${event.stage}`);
        }
        if (event.type === 'alert') options.onAlert?.(name, event.message);
        for (const l of listeners) l(event);
      },
      onTxid: (txid) => {
        (running as { txid: string }).txid = txid;
        resolveTxid(txid);
      },
    }))).then(async (summary) => {
      if ((summary.result === 'rolled-back' || summary.result === 'rollback-failed') && summary.to) {
        const version = r.check?.verdict.target?.version ?? summary.to;
        await saveMemory(withInstance(memory, name, (m) => ({ ...m, failed: { ...m.failed, [version]: now().toISOString() } }))).catch(() => undefined);
      }
      log.info(`${name}: ${summary.result} ${summary.from}${summary.to ? ` -> ${summary.to}` : ''}${summary.errorCode ? ` (${summary.errorCode})` : ''}`);
      options.onRunFinished?.(summary);
      return summary;
    }).finally(() => {
      r.running = undefined;
      // The offer the run acted on is stale now (installed version changed, or it failed): ask again
      // before the scheduler considers the instance, or it would start the same update twice.
      r.check = undefined;
      if (!stopping) void check(instance);
      options.onActivity?.('idle');
    });
    (running as { done: Promise<RunSummary> }).done = done;
    done.catch((error: unknown) => {
      resolveTxid('');
      log.error(`${name}: transaction did not start: ${errorText(error)}`);
    });
    const txid = await Promise.race([txidKnown, done.then(() => '', () => '')]);
    return { txid, done };
  }

  const rollout = daemonRollout({
    config: () => config, stopping: () => stopping, signal: stopSignal.signal, host, log, now, onAlert: options.onAlert,
    gate, installedVersion: (name) => rt(name).check?.instance.installedVersion,
    start: async (name) => (await startTransaction(name, 'rollout')).done,
  });

  async function tick(): Promise<void> {
    lastTick = Date.now();
    if (stopping) return;
    for (const instance of config.instances) {
      const r = rt(instance.name);
      if (r.running) continue;
      if (r.recoveryAt !== undefined && Date.now() >= r.recoveryAt && !r.recovering) void recover(instance);
      // With rings configured, updates go through the rollout only (docs/fleets.md).
      if (config.rollout) continue;
      const why = blockedBecause(instance);
      if (why !== undefined) continue;
      await startTransaction(instance.name, 'maintenance window').catch((error: unknown) => log.error(`${instance.name}: ${errorText(error)}`));
    }
    if (config.rollout) await rollout.tick();
  }

  async function statusOf(instance: InstanceConfig): Promise<InstanceStatus> {
    const r = rt(instance.name);
    const history = await readHistory(config.stateDir, { instance: instance.name, limit: 1000 }).catch(() => []);
    const last = history.find((h) => h.result !== 'up-to-date' && h.result !== 'held' && h.result !== 'blocked') ?? history[0];
    const verdict = r.check?.verdict;
    const target = verdict?.target?.version;
    const seen = target ? memory.instances[instance.name]?.firstSeen[target] : undefined;
    const windows = windowState(instance.windows, now());
    const open = await listUnfinishedTransactions(config.stateDir, instance.name).catch(() => []);
    return {
      name: instance.name, path: instance.path, host: host.id,
      installedVersion: r.check?.instance.installedVersion,
      available: target,
      decision: !verdict ? 'unknown' : verdict.decision === 'apply' ? 'update' : verdict.decision,
      reason: r.running ? `transaction ${r.running.txid} running (${r.running.stage})` : blockedBecause(instance) ?? verdict?.reason ?? '',
      firstSeenAt: seen,
      soakEndsAt: seen ? new Date(Date.parse(seen) + instance.soakHours * 3_600_000).toISOString() : undefined,
      lastCheckAt: r.lastCheckAt, lastCheckError: r.lastCheckError,
      lastRun: last ? { txid: last.txid, result: last.result, from: last.from, to: last.to, startedAt: last.startedAt, endedAt: last.endedAt, windowMs: last.windowMs, failedStage: last.failedStage, errorCode: last.errorCode, message: last.message } : undefined,
      maintenance: r.running ? { on: ['maintenance-on', 'wait-cron', 'snapshot', 'apply', 'upgrade', 'checks'].includes(r.running.stage), since: undefined }
        : r.check ? { on: r.check.instance.maintenance, since: undefined } : undefined,
      lastSnapshot: hostKindOf(instance) === 'ssh' ? r.remoteSnapshot : await lastSnapshot(config.stateDir, instance.name),
      nextWindow: windows.nextOpensAt?.toISOString(), windowOpen: windows.open,
      paused: memory.instances[instance.name]?.paused !== undefined,
      rollbackCount: history.filter((h) => h.result === 'rolled-back' || h.result === 'rollback-failed').length,
      updateCount: history.filter((h) => h.result === 'updated').length,
      running: r.running ? { txid: r.running.txid, stage: r.running.stage, since: r.running.since } : undefined,
      openTransactions: open.length,
      dataSnapshot: dataSnapshotStatus(r.check),
    };
  }

  // Start: recovery first (an interrupted transaction is finished before anything else), then a check.
  for (const instance of config.instances) {
    if ((await listUnfinishedTransactions(config.stateDir, instance.name)).length > 0) void recover(instance);
  }
  let schedule = cron.schedule(config.daemon.checkSchedule, () => {
    const jitter = Math.floor(Math.random() * config.daemon.jitterSeconds * 1000);
    setTimeout(() => void checkAll(), jitter).unref();
  });
  void checkAll().then(() => tick());
  const ticker = setInterval(() => void tick(), options.tickMs ?? 60_000);

  const daemon: RunningDaemon = {
    config: () => config,
    async status(): Promise<DaemonStatus> {
      return {
        version: options.version, startedAt, pid: process.pid, configPath: options.configPath, configLoadedAt, configError,
        instances: await Promise.all(config.instances.map((i) => statusOf(i))),
        ...(config.rollout ? await rollout.status() : {}),
      };
    },
    async startRun(instance) {
      const { txid } = await startTransaction(instance, 'POST /runs');
      return { txid };
    },
    async health() {
      const late = Date.now() - lastTick > 3 * (options.tickMs ?? 60_000);
      return late ? { ok: false, detail: `the scheduler has not ticked for ${Math.round((Date.now() - lastTick) / 1000)} s` } : { ok: true, detail: 'ok' };
    },
    startTransaction,
    async setPaused(name, paused, by) {
      const names = name ? [instanceOf(name).name] : config.instances.map((i) => i.name);
      let next = memory;
      for (const n of names) next = withInstance(next, n, (m) => ({ firstSeen: m.firstSeen, failed: m.failed, ...(paused ? { paused: { at: now().toISOString(), by } } : {}) }));
      await saveMemory(next);
      log.info(`${names.join(', ')}: ${paused ? 'paused' : 'resumed'} by ${by}`);
      return names;
    },
    checkNow: checkAll,
    async reload() {
      try {
        const next = loadConfigFile(options.configPath);
        config = next;
        configLoadedAt = now().toISOString();
        configError = undefined;
        schedule.stop();
        schedule = cron.schedule(config.daemon.checkSchedule, () => void checkAll());
        log.info(`configuration reloaded from ${options.configPath}`);
        void checkAll();
        return { ok: true };
      } catch (error) {
        configError = errorText(error);
        log.error(`configuration NOT reloaded, the previous one stays in force: ${configError}`);
        return { ok: false, error: configError };
      }
    },
    async stop() {
      stopping = true;
      stopSignal.abort();
      clearInterval(ticker);
      schedule.stop();
      await Promise.allSettled([...runtime.values()].map((r) => r.recovering));
      const rolloutEnded = rollout.running();
      const runs = [...runtime.values()].map((r) => r.running).filter((r): r is Running => r !== undefined);
      if (runs.length > 0) {
        log.warn(`stopping: cancelling ${runs.length} running transaction(s); each rolls back first`);
        // Under systemd the stop timeout is extended for as long as the rollbacks take.
        const hold = holdTimeout(host, 'rolling back before stopping', ROLLBACK_STOP_EXTENSION_S);
        for (const run of runs) run.abort.abort();
        await Promise.allSettled(runs.map((run) => run.done));
        hold.stop();
      }
      // The rollout starts nothing more (stopSignal) and records the rolled-back runs as not done.
      await rolloutEnded;
    },
  };
  return daemon;
}
