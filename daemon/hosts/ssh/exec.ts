// One remote command on an open connection: stdin, collected output, exit status or signal, a
// time limit and cancellation. Stopping is the local executor's two steps (TERM, then KILL after
// a grace period), sent by a second command that signals the whole process tree (see
// remoteCommandLine for the pid it learns): SSH's own signal request is dropped by ssh2 once stdin
// is closed, reaches only sshd's process group (not a command under sudo's pty), and closing the
// channel does not stop the remote process at all.
import type { Client, ClientChannel } from 'ssh2';
import { ChannelOpenError } from './connection-pool.js';

export type StopSignal = 'TERM' | 'KILL';
/** Sends `signal` to the remote process `pid` and everything it started. */
export type RemoteKill = (pid: number, signal: StopSignal) => Promise<void>;
export interface RemoteOutcome {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  /** The connection ended before the command reported how it ended. */
  readonly connectionLost: boolean;
  /** The remote process (the login shell's pid, exec'd into the program or sudo), once it was learned. */
  readonly pid: number | undefined;
  readonly durationMs: number;
}

export interface RemoteExecOptions {
  readonly input?: string | Buffer;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** How long after TERM (timeout, cancel) before KILL. */
  readonly killAfterMs?: number;
  readonly kill: RemoteKill;
}

export interface RemoteExec {
  readonly done: Promise<RemoteOutcome>;
  /** TERM now, KILL after `graceMs`, then the channel is closed. */
  stop(graceMs: number): void;
}

type ExitListener = (code: number | null, signalName?: string) => void;

function openChannel(client: Client, line: string, onExit: ExitListener): Promise<ClientChannel> {
  return new Promise<ClientChannel>((resolve, reject) => client.exec(line, (error, channel) => {
    if (error) {
      reject(error);
      return;
    }
    // Listened to here, not after an await: ssh2 parses a fast command's exit status from the same
    // chunk as the open confirmation, before any continuation runs, and an event nobody listens
    // to is gone (output waits in the stream). Missing it made a finished command look like a
    // lost connection (found by the SSH transaction matrix under load).
    channel.on('exit', onExit);
    resolve(channel);
  }))
    .catch((error: unknown) => {
      throw new ChannelOpenError(`cannot open an SSH channel: ${(error as Error).message}`, { cause: error });
    });
}

/**
 * Runs `line`, whose first stdout line must be the pid of the remote process (remoteCommandLine
 * prints it); that line is taken off the output.
 */
export async function execRemote(client: Client, line: string, options: RemoteExecOptions): Promise<RemoteExec> {
  const started = Date.now();
  let exitCode: number | undefined;
  let signal: string | undefined;
  let exited = false;
  let reported = false;
  const channel = await openChannel(client, line, (code, signalName) => {
    exited = true;
    reported = true;
    if (typeof code === 'number') exitCode = code;
    // execa (and so the local host) names signals with their SIG prefix; ssh2 mostly does too.
    else if (signalName) signal = signalName.startsWith('SIG') ? signalName : `SIG${signalName}`;
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let timedOut = false;
  let canceled = false;
  const timers: NodeJS.Timeout[] = [];
  let header: Buffer | undefined = Buffer.alloc(0);
  let learnedPid: number | undefined;
  let resolvePid: (pid: number | undefined) => void = () => undefined;
  const pid = new Promise<number | undefined>((resolve) => (resolvePid = resolve));
  let stopping = false;

  const signalTree = (signal: StopSignal): Promise<void> =>
    pid.then((known) => (known === undefined || exited ? undefined : options.kill(known, signal))).catch(() => undefined);
  const stop = (graceMs: number) => {
    if (exited || stopping) return;
    stopping = true;
    // The grace period starts once TERM has been delivered, not when it was asked for: on a
    // busy target the signalling command itself can take a while.
    void signalTree('TERM').then(() => {
      if (!exited) timers.push(setTimeout(() => void signalTree('KILL'), graceMs));
    });
  };

  channel.on('data', (chunk: Buffer) => {
    if (header === undefined) {
      stdout.push(chunk);
      return;
    }
    header = Buffer.concat([header, chunk]);
    const newline = header.indexOf(10);
    if (newline < 0) return;
    const value = Number(header.subarray(0, newline).toString('latin1'));
    learnedPid = Number.isInteger(value) && value > 1 ? value : undefined;
    resolvePid(learnedPid);
    stdout.push(header.subarray(newline + 1));
    header = undefined;
  });
  channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  const onAbort = () => {
    canceled = true;
    stop(options.killAfterMs ?? 2000);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.timeoutMs !== undefined) {
    timers.push(setTimeout(() => {
      timedOut = true;
      stop(options.killAfterMs ?? 2000);
    }, options.timeoutMs));
  }

  // No input means an empty stdin, as the local host's 'ignore'; a program reading it sees EOF.
  channel.end(options.input);

  const done = new Promise<RemoteOutcome>((resolve) => {
    channel.once('close', () => {
      exited = true;
      resolvePid(undefined);
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        exitCode,
        signal,
        timedOut,
        canceled,
        connectionLost: !reported && !timedOut && !canceled,
        pid: learnedPid,
        durationMs: Date.now() - started,
      });
    });
  });
  return { done, stop };
}
