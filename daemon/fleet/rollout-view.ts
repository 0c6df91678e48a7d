// The rollout as people read it: `ncupd rollout`, `ncupd status` and the daemon's status show the
// same lines, built here from the persisted state and the soak setting.
import type { RolloutConfig } from '../config/schema.js';
import type { InstanceRecord, RolloutState } from './rollout-state.js';

export interface RolloutView {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** The first ring not completed, or undefined when all are. */
  readonly currentRing?: string;
  readonly soakUntil?: string;
  readonly halted?: RolloutState['halted'];
  readonly rings: readonly { readonly name: string; readonly startedAt?: string; readonly completedAt?: string; readonly instances: Readonly<Record<string, InstanceRecord>> }[];
}

export function viewRollout(state: RolloutState, rollout: Pick<RolloutConfig, 'soakMinutes'> | undefined): RolloutView {
  const index = state.rings.findIndex((r) => !r.completedAt);
  const current = index >= 0 ? state.rings[index] : undefined;
  const previous = index > 0 ? state.rings[index - 1] : undefined;
  const soakUntil = current && !current.startedAt && previous?.completedAt && rollout
    ? new Date(Date.parse(previous.completedAt) + rollout.soakMinutes * 60_000).toISOString() : undefined;
  return {
    id: state.id, startedAt: state.startedAt, ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
    ...(current ? { currentRing: current.name } : {}), ...(soakUntil ? { soakUntil } : {}), ...(state.halted ? { halted: state.halted } : {}),
    rings: state.rings.map((ring) => ({ ...ring, instances: Object.fromEntries(Object.entries(state.instances).filter(([, r]) => r.ring === ring.name)) })),
  };
}

function instanceText(name: string, r: InstanceRecord): string {
  const versions = r.to && r.to !== r.from ? ` ${r.from} -> ${r.to}` : r.from ? ` ${r.from}` : '';
  const shown = r.status === 'running' ? 'running' : r.status === 'pending' ? (r.result ? `pending (last: ${r.result})` : 'pending') : r.result ?? r.status;
  return `    ${name}: ${shown}${versions}${r.errorCode ? ` (${r.errorCode})` : ''}`;
}

export function rolloutLines(view: RolloutView, now: Date = new Date()): string[] {
  const head = view.finishedAt ? `finished ${view.finishedAt}` : view.halted ? 'HALTED' : view.soakUntil && Date.parse(view.soakUntil) > now.getTime()
    ? `soaking until ${view.soakUntil} before ring ${view.currentRing}` : `at ring ${view.currentRing ?? '?'}`;
  const out = [`rollout ${view.id} (started ${view.startedAt}): ${head}`];
  if (view.halted) {
    out.push(`  halted at ${view.halted.at}: ${view.halted.instance} (ring ${view.halted.ring}) ended ${view.halted.result}${view.halted.errorCode ? ` (${view.halted.errorCode})` : ''}: ${view.halted.reason.split('\n')[0]}`);
    out.push('  no further instance starts: fix the cause, then `ncupd rollout resume` and `ncupd rollout`');
  }
  for (const ring of view.rings) {
    const when = ring.completedAt ? `completed ${ring.completedAt}` : ring.startedAt ? `started ${ring.startedAt}` : 'not started';
    out.push(`  ring ${ring.name}: ${when}`);
    for (const [name, record] of Object.entries(ring.instances)) out.push(instanceText(name, record));
  }
  return out;
}
