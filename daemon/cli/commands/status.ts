import { askDaemon, daemonAnswers } from '../../control/client.js';
import { readHistory } from '../../engine/history.js';
import { listUnfinishedTransactions } from '../../engine/journal.js';
import { readDaemonState } from '../../service/daemon-state.js';
import type { DaemonStatus, InstanceStatus } from '../../service/status-model.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';
import type { NcupdConfig } from '../../config/schema.js';
import { readRolloutState } from '../../fleet/rollout-state.js';
import { rolloutLines, viewRollout, type RolloutView } from '../../fleet/rollout-view.js';

/** The rollout as the state directory records it (undefined without a rollout section or before the first). */
async function rolloutOf(config: NcupdConfig): Promise<RolloutView | undefined> {
  if (!config.rollout) return undefined;
  const state = await readRolloutState(config.stateDir).catch(() => undefined);
  return state ? viewRollout(state, config.rollout) : undefined;
}

function withRollout(out: string[], rollout: RolloutView | undefined): string[] {
  return rollout ? [...out, ...rolloutLines(rollout)] : out;
}

function lines(status: DaemonStatus | undefined, instances: readonly Partial<InstanceStatus>[]): string[] {
  const out = [status ? `ncupd daemon ${status.version}, pid ${status.pid}, since ${status.startedAt}${status.configError ? `\n  CONFIG RELOAD FAILED (old config in force): ${status.configError}` : ''}` : 'no ncupd daemon answers: showing what the state directory records'];
  for (const i of instances) {
    out.push(`${i.name}: ${i.installedVersion ?? '?'}${i.available ? ` (available: ${i.available})` : ''}${i.paused ? ' PAUSED' : ''}${i.openTransactions ? ` ${i.openTransactions} OPEN TRANSACTION(S): run \`ncupd recover\`` : ''}`);
    if (i.decision) out.push(`  decision: ${i.decision}${i.reason ? `: ${i.reason}` : ''}`);
    if (i.running) out.push(`  running: ${i.running.txid} (${i.running.stage}) since ${i.running.since}`);
    if (i.lastRun) out.push(`  last run: ${i.lastRun.result} ${i.lastRun.from}${i.lastRun.to ? ` -> ${i.lastRun.to}` : ''} at ${i.lastRun.endedAt}${i.lastRun.errorCode ? ` (${i.lastRun.errorCode} in ${i.lastRun.failedStage ?? '?'})` : ''}`);
    if (i.nextWindow !== undefined || i.windowOpen) out.push(`  window: ${i.windowOpen ? 'open now' : `next opens ${i.nextWindow ?? '?'}`}`);
    if (i.rollbackCount !== undefined) out.push(`  rollbacks: ${i.rollbackCount}, updates: ${i.updateCount ?? 0}`);
  }
  return out;
}

/** `ncupd status`: from the running daemon, else what the state directory records. */
export async function runStatus(options: GlobalOptions): Promise<number> {
  const config = resolveConfig(options);
  const wanted = new Set(selectInstances(config, options.instance).map((i) => i.name));
  if (!options.path && (await daemonAnswers(config.daemon.controlSocket))) {
    let status: DaemonStatus | undefined;
    await askDaemon(config.daemon.controlSocket, { cmd: 'status' }, (reply) => {
      if (reply.type === 'status') status = reply.status;
    });
    const rollout = status?.rollout ?? (await rolloutOf(config));
    const shown = status ? { ...status, instances: status.instances.filter((i) => wanted.has(i.name)), ...(rollout ? { rollout } : {}) } : undefined;
    process.stdout.write(options.json ? `${JSON.stringify(shown)}\n` : `${withRollout(lines(shown, shown?.instances ?? []), rollout).join('\n')}\n`);
    return 0;
  }
  const memory = await readDaemonState(config.stateDir);
  const instances: Partial<InstanceStatus>[] = [];
  for (const instance of config.instances.filter((i) => wanted.has(i.name))) {
    const history = await readHistory(config.stateDir, { instance: instance.name, limit: 1000 });
    const last = history[0];
    instances.push({
      name: instance.name, path: instance.path, installedVersion: last?.result === 'updated' ? last.to : last?.from,
      paused: memory.instances[instance.name]?.paused !== undefined,
      openTransactions: (await listUnfinishedTransactions(config.stateDir, instance.name)).length,
      lastRun: last, rollbackCount: history.filter((h) => h.result === 'rolled-back' || h.result === 'rollback-failed').length,
      updateCount: history.filter((h) => h.result === 'updated').length,
    });
  }
  const rollout = await rolloutOf(config);
  process.stdout.write(options.json ? `${JSON.stringify({ daemon: false, instances, ...(rollout ? { rollout } : {}) })}\n` : `${withRollout(lines(undefined, instances), rollout).join('\n')}\n`);
  return 0;
}

/** `ncupd pause|resume`: through the daemon, else in its state file (read at its next start). */
export async function runPause(options: GlobalOptions, paused: boolean): Promise<number> {
  const config = resolveConfig(options);
  selectInstances(config, options.instance);
  if (await daemonAnswers(config.daemon.controlSocket)) {
    await askDaemon(config.daemon.controlSocket, { cmd: paused ? 'pause' : 'resume', instance: options.instance }, (reply) => {
      if (reply.type === 'ok') process.stdout.write(`${reply.message}\n`);
      if (reply.type === 'error') process.stderr.write(`${reply.error.code}: ${reply.error.message}\n`);
    });
    return 0;
  }
  const { readDaemonState: read, writeDaemonState, withInstance } = await import('../../service/daemon-state.js');
  let memory = await read(config.stateDir);
  const names = selectInstances(config, options.instance).map((i) => i.name);
  for (const name of names) memory = withInstance(memory, name, (m) => ({ firstSeen: m.firstSeen, failed: m.failed, ...(paused ? { paused: { at: new Date().toISOString(), by: 'ncupd CLI' } } : {}) }));
  await writeDaemonState(config.stateDir, memory);
  process.stdout.write(`${names.join(', ')}: ${paused ? 'paused' : 'resumed'} (no daemon answers; it reads this at start)\n`);
  return 0;
}
