// Fault injection for the crash-safety suite (issue 5). Tests only: the points are armed by the
// NCUPD_FAULT environment variable, which the systemd unit never sets, and an armed process says so
// loudly on stderr. Every point costs one Map lookup when nothing is armed.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export type FaultAction = 'kill' | 'throw' | 'pause';

const ACTIONS: readonly FaultAction[] = ['kill', 'throw', 'pause'];

/** `point=action[,point=action...]`, for example `apply:after=kill` or `upgrade:running=pause`. */
export function parseFaultSpec(spec: string | undefined): Map<string, FaultAction> {
  const armed = new Map<string, FaultAction>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = part.lastIndexOf('=');
    const point = part.slice(0, at);
    const action = part.slice(at + 1) as FaultAction;
    if (at <= 0 || !ACTIONS.includes(action)) throw new Error(`NCUPD_FAULT: "${part}" is not point=${ACTIONS.join('|')}`);
    armed.set(point, action);
  }
  return armed;
}

let armed: Map<string, FaultAction> | undefined;

function armedPoints(): Map<string, FaultAction> {
  if (armed === undefined) {
    armed = parseFaultSpec(process.env.NCUPD_FAULT);
    if (armed.size > 0) process.stderr.write(`ncupd: TEST FAULT INJECTION ARMED (${process.env.NCUPD_FAULT}); never set NCUPD_FAULT in production\n`);
  }
  return armed;
}

/** The fault error: recognisable, so a test can tell an injected failure from a real one. */
export class InjectedFault extends Error {
  constructor(readonly point: string) {
    super(`injected fault at ${point}`);
  }
}

function note(line: string): void {
  const log = process.env.NCUPD_FAULT_LOG;
  if (log) appendFileSync(log, `${line}\n`);
}

/** The process group id (field 5 of /proc/self/stat): a power cut takes the children too, but only our own group. */
function ownGroup(): number | undefined {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  return pgrp === process.pid ? pgrp : undefined;
}

/**
 * A named point on the transaction's path. When armed: `kill` is a power cut (SIGKILL to ncupd and
 * every child in its process group, or to ncupd alone when it leads no group), `throw` fails the
 * step here, `pause` waits until the test removes the file named by NCUPD_FAULT_PAUSE_FILE (or the
 * run is cancelled). Every point reached is appended to NCUPD_FAULT_LOG when that is set, so the
 * suite can prove the fault really fired and can list the points a run passes.
 */
export async function faultPoint(point: string, signal?: AbortSignal): Promise<void> {
  const action = armedPoints().get(point);
  note(action ? `${point} ${action}` : point);
  if (!action) return;
  if (action === 'throw') throw new InjectedFault(point);
  if (action === 'kill') {
    const group = ownGroup();
    process.kill(group === undefined ? process.pid : -group, 'SIGKILL');
    await new Promise(() => undefined);
  }
  const file = process.env.NCUPD_FAULT_PAUSE_FILE;
  if (!file) throw new Error('NCUPD_FAULT: pause needs NCUPD_FAULT_PAUSE_FILE');
  appendFileSync(file, `${point}\n`);
  while (existsSync(file) && !signal?.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * A point inside a long command (`occ upgrade`, a dump): reached `NCUPD_FAULT_DELAY_MS` (default
 * 200) after the command starts, if it still runs. `kill` is a power cut with the child mid-work;
 * `throw` aborts the command through the returned signal, as a failure of the command would.
 */
export function faultWhileRunning(point: string, signal: AbortSignal): { signal: AbortSignal; stop(): void } {
  const action = armedPoints().get(point);
  if (!action) {
    note(point);
    return { signal, stop: () => undefined };
  }
  const abort = new AbortController();
  const timer = setTimeout(() => {
    faultPoint(point, signal).catch((error: unknown) => abort.abort(error));
  }, Number(process.env.NCUPD_FAULT_DELAY_MS ?? 200));
  return { signal: AbortSignal.any([signal, abort.signal]), stop: () => clearTimeout(timer) };
}
