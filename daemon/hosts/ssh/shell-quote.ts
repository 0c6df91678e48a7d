// The one place where an argument array becomes a remote shell line (shared/style.md, point 4).
// sshd hands the command to the login user's shell as a single string, so every word we send is
// quoted here and nowhere else; test/daemon/hosts/ssh/shell-quote.test.ts sends hostile values
// through a real sshd and checks the remote program received the exact bytes.
import type { CommandSpec } from '../host.js';
import { NcupdError } from '../../errors/ncupd-error.js';

/**
 * One shell word that any POSIX shell (sh, bash, dash, zsh in sh mode) reads back as exactly
 * `value`: inside single quotes nothing is special except the closing quote itself, which is
 * written as '\'' . Newlines, `$(...)`, backticks and non-ASCII bytes pass through unchanged.
 */
export function quoteShellArg(value: string): string {
  // A NUL cannot be part of an argv string; refusing it beats a silent truncation on the target.
  if (value.includes('\0')) throw new NcupdError('NCUPD_COMMAND_FAILED', { detail: 'an argument contains a NUL byte and cannot be passed to a remote command' });
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The minimal environment every remote command gets, as locally (daemon/hosts/local). */
export const REMOTE_BASE_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The argv that runs `spec` on the target: the user switch (sudo, non-interactive, never a
 * password prompt), then `env -i` with the working directory and the explicit environment, then the program. `env -i`
 * because sshd's session environment (SSH_CONNECTION, the login user's HOME...) must not leak
 * into commands, which locally get nothing implicit either. The environment is for non-secret
 * values only (a remote command line is visible in `ps`); secrets travel on stdin.
 */
export function remoteArgv(spec: CommandSpec, loginUser: string): string[] {
  const env = { ...REMOTE_BASE_ENV, ...spec.env };
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new NcupdError('NCUPD_COMMAND_FAILED', { detail: `not a valid environment variable name: ${JSON.stringify(name)}` });
    return `${name}=${value}`;
  });
  // The working directory is entered by env after sudo, as the user the command runs as: the login
  // user may not enter a root-only folder (a `cd` before sudo failed for the snapshot's config/).
  const chdir = spec.cwd === undefined ? [] : [`--chdir=${spec.cwd}`];
  return [...userSwitch(spec, loginUser), 'env', '-i', ...chdir, ...assignments, spec.file, ...(spec.args ?? [])];
}

/** The words that run a command as `spec.user`, or as root for ncupd's own steps (no user). */
export function userSwitch(spec: CommandSpec, loginUser: string): string[] {
  const target = spec.user ?? 'root';
  if (target === loginUser) return [];
  if (target === 'root') return ['sudo', '-n', '--'];
  return ['sudo', '-n', '-u', target, '--'];
}

/**
 * The complete line for sshd's exec request. It first prints the login shell's pid on its own
 * line (daemon/hosts/ssh/exec.ts takes that line off stdout): `exec` then replaces the shell with
 * the program (or sudo), so that pid is the process to stop on a timeout or cancel.
 */
export function remoteCommandLine(spec: CommandSpec, loginUser: string): string {
  return `echo $$ && exec ${remoteArgv(spec, loginUser).map(quoteShellArg).join(' ')}`;
}

/**
 * Signals `pid` and all its descendants (a command under sudo is sudo's child, and sudo cannot
 * pass KILL on). Collected first with pgrep, then signalled in one kill.
 */
export const KILL_TREE_SCRIPT = 'all=$1; set -- $1; while [ $# -gt 0 ]; do kids=$(pgrep -P "$1" | tr "\\n" " "); all="$all $kids"; shift; set -- "$@" $kids; done; kill -s "$0" $all 2>/dev/null; exit 0';

/**
 * Stops (TERM, then KILL 2 s later) a command whose connection dropped, with everything it
 * started: `$0` is the program it ran, `$1` its pid. Only while /proc still names that program
 * among the process's arguments, so a pid reused since the drop is left alone.
 */
export const STOP_LOST_SCRIPT = 'tr "\\000" "\\n" < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$0" || exit 0; all=$1; set -- $1; while [ $# -gt 0 ]; do kids=$(pgrep -P "$1" | tr "\\n" " "); all="$all $kids"; shift; set -- "$@" $kids; done; kill -s TERM $all 2>/dev/null; sleep 2; kill -s KILL $all 2>/dev/null; exit 0';
