import { execa, type Result } from 'execa';
import { readFileSync } from 'node:fs';
import { open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { CommandResult, CommandSpec, Host, RunningProcess } from '../host.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { formatCommand, redact } from '../redact.js';

const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

const primaryGroups = new Map<string, string>();

/** The user's primary gid from the passwd database (setpriv needs it; a user has no same-named group always). */
function primaryGroup(user: string): string {
  let gid = primaryGroups.get(user);
  if (gid === undefined) {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.split(':')[0] === user);
    gid = line?.split(':')[3];
    if (gid === undefined) throw new NcupdError('NCUPD_COMMAND_FAILED', { detail: `no such user on this host: ${user}` });
    primaryGroups.set(user, gid);
  }
  return gid;
}

/**
 * file + args after adding the switch to another user. As root that is setpriv, which execs the
 * program in place: signals reach it directly (runuser stays as a parent that delays SIGTERM by
 * 2 s and can leave an orphan behind when it is killed). Otherwise sudo, non-interactive.
 */
function asUser(spec: CommandSpec): { file: string; args: string[] } {
  const args = [...(spec.args ?? [])];
  if (!spec.user || spec.user === userInfo().username) return { file: spec.file, args };
  if (process.getuid?.() === 0) return { file: 'setpriv', args: ['--reuid', spec.user, '--regid', primaryGroup(spec.user), '--init-groups', '--', spec.file, ...args] };
  return { file: 'sudo', args: ['-n', '-u', spec.user, '--', spec.file, ...args] };
}

function toResult(raw: Result, spec: CommandSpec, command: string): CommandResult {
  const text = (value: unknown): string => redact(typeof value === 'string' ? value : '', spec.secrets);
  return {
    command,
    exitCode: raw.exitCode,
    signal: raw.signal ?? undefined,
    timedOut: raw.timedOut,
    durationMs: Math.round(raw.durationMs),
    stdout: text(raw.stdout),
    stderr: text(raw.stderr),
    failed: raw.failed,
  };
}

/** Classifies a failed result into a catalog error; the reason comes first in the message. */
export function commandError(result: CommandResult, spawnCode?: string): NcupdError {
  if (spawnCode === 'ENOENT') return new NcupdError('NCUPD_COMMAND_NOT_FOUND', { detail: `program not found: ${result.command}` });
  if (result.timedOut) return new NcupdError('NCUPD_COMMAND_TIMEOUT', { detail: `timed out after ${result.durationMs} ms: ${result.command}` });
  const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
  const how = result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
  return new NcupdError('NCUPD_COMMAND_FAILED', { detail: `${how}: ${result.command}${tail ? `\n${tail}` : ''}` });
}

function options(spec: CommandSpec) {
  return {
    cwd: spec.cwd,
    env: { ...BASE_ENV, ...spec.env },
    extendEnv: false,
    input: spec.input,
    stdin: spec.input === undefined ? ('ignore' as const) : undefined,
    timeout: spec.timeoutMs,
    cancelSignal: spec.signal,
    forceKillAfterDelay: 2000,
    // No signal-exit handlers: with them, a SIGTERM that arrives while as many children run as the
    // process has other SIGTERM listeners is re-raised and kills ncupd mid-rollback (seen in the
    // daemon's stop test). ncupd handles its own signals and cancels its children itself.
    cleanup: false,
    reject: false,
    stripFinalNewline: false,
  };
}

export function createLocalHost(id = 'local'): Host {
  return {
    id,
    kind: 'local',
    async run(spec: CommandSpec): Promise<CommandResult> {
      const { file, args } = asUser(spec);
      const command = formatCommand(file, args, spec.secrets);
      const raw = await execa(file, args, options(spec));
      const result = toResult(raw, spec, command);
      if (raw.isCanceled) throw new NcupdError('NCUPD_COMMAND_ABORTED', { detail: `cancelled: ${command}` });
      const spawnCode = (raw as { code?: string }).code;
      if (spawnCode === 'ENOENT') throw commandError(result, spawnCode);
      if (result.failed && spec.reject !== false) throw commandError(result);
      return result;
    },
    async writeFile(path: string, data: string | Buffer, options = {}): Promise<void> {
      // O_EXCL-free create with the mode from the start, so a secret is never briefly world-readable.
      const handle = await open(path, 'w', options.mode ?? 0o644);
      try {
        await handle.chmod(options.mode ?? 0o644);
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    async readFile(path: string): Promise<Buffer> {
      return readFile(path);
    },
    async rename(from: string, to: string): Promise<void> {
      try {
        await rename(from, to);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        const why = code === 'EXDEV' ? 'they are on different filesystems (a rename never copies)' : (error as Error).message;
        throw new NcupdError('NCUPD_COMMAND_FAILED', { detail: `rename ${from} -> ${to}: ${code}: ${why}`, cause: error });
      }
    },
    async exists(path: string): Promise<boolean> {
      return stat(path).then(() => true, () => false);
    },
    async listDir(path: string): Promise<string[]> {
      return readdir(path).catch(() => []);
    },
    start(spec: CommandSpec): RunningProcess {
      const { file, args } = asUser(spec);
      const command = formatCommand(file, args, spec.secrets);
      // stop() has its own grace period: execa's 2 s force-kill would cut a daemon's rollback short.
      const child = execa(file, args, { ...options(spec), buffer: { stdout: true, stderr: true }, timeout: undefined, forceKillAfterDelay: false });
      const exited = child.then((raw) => toResult(raw, spec, command));
      return {
        pid: child.pid,
        command,
        exited,
        async stop(graceMs = 5000): Promise<CommandResult> {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            try {
              return await exited;
            } finally {
              clearTimeout(timer);
            }
          }
          return exited;
        },
      };
    },
  };
}
