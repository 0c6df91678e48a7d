// Cutting SSH connections from the server side, as a network failure or a crashed sshd would:
// the harness sshd listener stays (or is frozen, so reconnecting fails), the per-connection sshd
// processes die, and the commands they started on the "target" are left running, as a real
// sshd leaves a command without a terminal on hangup.
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import type { CommandResult, CommandSpec } from '../../../../daemon/hosts/host.js';

const local = createLocalHost('drop-connection');

/** Runs `ss` where the sshd listens: this machine, or inside a network namespace (NetnsHost.run). */
export type ListenerRunner = (spec: Omit<CommandSpec, 'user'>) => Promise<CommandResult>;

/** The pid of the sshd listening on `port` (of the network namespace `run` enters; pids are shared). */
export async function sshdListenerPid(port: number, run: ListenerRunner = (spec) => local.run(spec)): Promise<number> {
  const listening = await run({ file: 'ss', args: ['-Hltnp', `sport = :${port}`] });
  const pid = /users:\(\("sshd",pid=(\d+)/.exec(listening.stdout)?.[1];
  if (!pid) throw new Error(`no sshd listens on port ${port}: ${listening.stdout}`);
  return Number(pid);
}

/** Every sshd process below the listener (one per connection and its session), not the commands they run. */
async function sessionProcesses(listener: number): Promise<number[]> {
  const table = (await local.run({ file: 'ps', args: ['-e', '-o', 'pid=,ppid=,comm='] })).stdout.split('\n')
    .map((line) => line.trim().split(/\s+/)).filter((f) => f.length >= 3).map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm: comm! }));
  const below = new Set([listener]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) {
      if (below.has(p.ppid) && !below.has(p.pid) && p.comm.startsWith('sshd')) {
        below.add(p.pid);
        grew = true;
      }
    }
  }
  below.delete(listener);
  return [...below];
}

/** SIGKILLs the server side of every open connection to the harness sshd on `port`; returns the pids killed. */
export async function dropConnections(port: number, run?: ListenerRunner): Promise<number[]> {
  const pids = await sessionProcesses(await sshdListenerPid(port, run));
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already (the session of a connection that just closed)
    }
  }
  return pids;
}

/** Stops (SIGSTOP) or resumes (SIGCONT) the listener: while stopped, a new connection gets no SSH handshake. */
export async function freezeListener(port: number, frozen: boolean): Promise<void> {
  process.kill(await sshdListenerPid(port), frozen ? 'SIGSTOP' : 'SIGCONT');
}
