// The SSH host (issue 6): the Host contract over one ssh2 connection per target, with the local
// executor's result and error shape, so stages, snapshots and checks do not know which they use.
import type { Client } from 'ssh2';
import type { CommandResult, CommandSpec, Host, RunningProcess, WriteFileOptions } from '../host.js';
import { commandError } from '../local/index.js';
import { formatCommand, redact } from '../redact.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { ChannelOpenError, connectionPool } from './connection-pool.js';
import { execRemote, type RemoteExec, type RemoteKill, type RemoteOutcome } from './exec.js';
import { sftpReadFile, sftpWriteFile } from './sftp-files.js';
import { KILL_TREE_SCRIPT, STOP_LOST_SCRIPT, remoteCommandLine, userSwitch } from './shell-quote.js';
import { describeTarget, type SshTarget } from './target.js';

export type { SshTarget } from './target.js';

/** Printable form: where, then the user switch and the program; `env -i` and its PATH are noise. */
function printable(spec: CommandSpec, target: SshTarget): string {
  const [file = spec.file, ...args] = [...userSwitch(spec, target.user), spec.file, ...(spec.args ?? [])];
  return `[${target.host}] ${formatCommand(file, args, spec.secrets)}`;
}

function toResult(outcome: RemoteOutcome, spec: CommandSpec, command: string): CommandResult {
  const text = (value: Buffer): string => redact(value.toString('utf8'), spec.secrets);
  return {
    command,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    durationMs: outcome.durationMs,
    stdout: text(outcome.stdout),
    stderr: text(outcome.stderr),
    failed: outcome.exitCode !== 0 || outcome.signal !== undefined || outcome.timedOut || outcome.canceled || outcome.connectionLost,
  };
}

function lostError(target: SshTarget, command: string): NcupdError {
  return new NcupdError('NCUPD_SSH_CONNECTION_LOST', { detail: `connection to ${describeTarget(target)} ended while running: ${command}` });
}

/** SFTP status codes as the errno codes callers know from node:fs. */
function fileError(error: unknown, what: string, path: string): Error {
  const status = (error as { code?: number }).code;
  const code = status === 2 ? 'ENOENT' : status === 3 ? 'EACCES' : 'EIO';
  return Object.assign(new Error(`${code}: cannot ${what} ${path}: ${(error as Error).message}`, { cause: error }), { code });
}

export function createSshHost(target: SshTarget, id = target.host): Host & { close(): Promise<void> } {
  const pool = connectionPool(target);
  const root = target.user === 'root';

  // As root (sudo when we log in as someone else): the process may belong to the web user or root.
  const kill: RemoteKill = async (pid, signal) => {
    const killer = await pool.withClient((client) => execRemote(client, remoteCommandLine({ file: 'sh', args: ['-c', KILL_TREE_SCRIPT, signal, String(pid)] }, target.user), { kill: async () => undefined }));
    await killer.done;
  };

  const launch = async (client: Client, spec: CommandSpec, timeoutMs: number | undefined): Promise<RemoteExec> =>
    execRemote(client, remoteCommandLine(spec, target.user), { input: spec.input, timeoutMs, signal: spec.signal, kill });

  // Commands whose connection dropped before they ended: sshd leaves a command without a terminal
  // running on hangup, so an `occ upgrade` would go on migrating under a rollback, and an undo step
  // run again would race its first run. The next command stops them first, on the new connection.
  const lost: { pid: number; file: string }[] = [];
  const noteLost = (outcome: RemoteOutcome, spec: CommandSpec) => {
    if (outcome.connectionLost && outcome.pid !== undefined) lost.push({ pid: outcome.pid, file: spec.file });
  };
  let stoppingLost: Promise<void> | undefined;
  const stopLost = (): Promise<void> => {
    if (stoppingLost) return stoppingLost;
    if (lost.length === 0) return Promise.resolve();
    stoppingLost = (async () => {
      while (lost.length > 0) {
        const { pid, file } = lost[0]!;
        const stopper = await pool.withClient((client) => execRemote(client, remoteCommandLine({ file: 'sh', args: ['-c', STOP_LOST_SCRIPT, file, String(pid)] }, target.user), { kill: async () => undefined }));
        const outcome = await stopper.done;
        // Dropped again: it stays on the list for the next command.
        if (outcome.connectionLost) throw lostError(target, `stopping ${file} (pid ${pid}), left running by a dropped connection`);
        lost.shift();
      }
    })().finally(() => {
      stoppingLost = undefined;
    });
    return stoppingLost;
  };

  const run = async (spec: CommandSpec): Promise<CommandResult> => {
    const command = printable(spec, target);
    await stopLost().catch((error: unknown) => {
      throw error instanceof ChannelOpenError ? lostError(target, command) : error;
    });
    const outcome = await pool.withClient(async (client) => (await launch(client, spec, spec.timeoutMs)).done).catch((error: unknown) => {
      throw error instanceof ChannelOpenError ? lostError(target, command) : error;
    });
    noteLost(outcome, spec);
    const result = toResult(outcome, spec, command);
    if (outcome.canceled) throw new NcupdError('NCUPD_COMMAND_ABORTED', { detail: `cancelled: ${command}` });
    if (outcome.connectionLost) throw lostError(target, command);
    // env (or sudo) reports a missing program with 127, as a shell does.
    if (outcome.exitCode === 127 && /No such file or directory|command not found/.test(result.stderr)) {
      throw new NcupdError('NCUPD_COMMAND_NOT_FOUND', { detail: `program not found on ${target.host}: ${command}` });
    }
    if (result.failed && spec.reject !== false) throw commandError(result);
    return result;
  };

  return {
    id,
    kind: 'ssh',
    run,
    start(spec: CommandSpec): RunningProcess {
      const command = printable(spec, target);
      let exec: RemoteExec | undefined;
      let stopRequested: number | undefined;
      const exited = stopLost().then(() => pool.withClient(async (client) => {
        exec = await launch(client, spec, undefined);
        if (stopRequested !== undefined) exec.stop(stopRequested);
        return exec.done;
      })).then(
        (outcome) => {
          noteLost(outcome, spec);
          return toResult(outcome, spec, command);
        },
        (error: unknown): CommandResult => ({
          command, exitCode: undefined, signal: undefined, timedOut: false, durationMs: 0, stdout: '',
          stderr: redact(error instanceof Error ? error.message : String(error), spec.secrets), failed: true,
        }),
      );
      return {
        // The remote pid is not known here; signals go over the channel.
        pid: undefined,
        command,
        exited,
        stop(graceMs = 5000): Promise<CommandResult> {
          if (exec) exec.stop(graceMs);
          else stopRequested = graceMs;
          return exited;
        },
      };
    },
    async writeFile(path: string, data: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      const mode = options.mode ?? 0o644;
      if (root) {
        await pool.withClient((client) => sftpWriteFile(client, path, bytes, mode)).catch((error: unknown) => {
          throw fileError(error, 'write', path);
        });
        return;
      }
      // SFTP would write as the login user; root's files are written through sudo instead, the
      // same way: created closed (umask 077), given its mode, then filled from stdin, then renamed.
      const script = 'umask 077 && t="$(dirname "$1")/.$(basename "$1").ncupd-$$" && : > "$t" && chmod "$2" "$t" && cat > "$t" && mv -f "$t" "$1"';
      await run({ file: 'sh', args: ['-c', script, 'sh', path, mode.toString(8)], input: bytes });
    },
    async readFile(path: string): Promise<Buffer> {
      if (root) {
        return pool.withClient((client) => sftpReadFile(client, path)).catch((error: unknown) => {
          throw fileError(error, 'read', path);
        });
      }
      const outcome = await pool.withClient(async (client) => (await launch(client, { file: 'cat', args: ['--', path] }, undefined)).done);
      if (outcome.exitCode !== 0) {
        const missing = outcome.stderr.toString('utf8').includes('No such file');
        throw Object.assign(new Error(`cannot read ${path} on ${target.host}: ${outcome.stderr.toString('utf8').trim()}`), { code: missing ? 'ENOENT' : 'EIO' });
      }
      return outcome.stdout;
    },
    // As root's own commands (through sudo for another login), so a root-only folder reads the
    // same as locally; each is one remote exec, where the local host makes a system call.
    async rename(from: string, to: string): Promise<void> {
      await run({ file: 'perl', args: ['-e', 'rename($ARGV[0], $ARGV[1]) or die "rename $ARGV[0] -> $ARGV[1]: $!\\n"', '--', from, to] });
    },
    async exists(path: string): Promise<boolean> {
      return (await run({ file: 'test', args: ['-e', path], reject: false })).exitCode === 0;
    },
    async listDir(path: string): Promise<string[]> {
      const result = await run({ file: 'find', args: ['-H', path, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\0'], reject: false });
      return result.exitCode === 0 ? result.stdout.split('\0').filter((n) => n.length > 0) : [];
    },
    close: () => pool.close(),
  };
}
