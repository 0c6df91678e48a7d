// A Host that runs nothing: it records each command and answers from a script (a small model of
// the tool). For tools this machine's kernel cannot run (ZFS, LVM thin volumes): the tests that
// use it check the exact command sequence, not the kernel's behaviour, and say so.
import type { CommandResult, CommandSpec, Host, RunningProcess } from '../../daemon/hosts/host.js';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';

export interface ScriptedAnswer {
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

export type Script = (file: string, args: readonly string[]) => ScriptedAnswer | undefined;

export interface ScriptedHost extends Host {
  /** Every command run, as `file arg arg...`. */
  readonly commands: string[];
  readonly files: Map<string, string>;
}

export function scriptedHost(script: Script, files: Record<string, string> = {}): ScriptedHost {
  const commands: string[] = [];
  const stored = new Map(Object.entries(files));
  const run = async (spec: CommandSpec): Promise<CommandResult> => {
    const args = spec.args ?? [];
    const command = [spec.file, ...args].join(' ');
    commands.push(command);
    const answer = script(spec.file, args);
    if (answer === undefined) throw new Error(`the script has no answer for: ${command}`);
    const exitCode = answer.exitCode ?? 0;
    const result: CommandResult = { command, exitCode, signal: undefined, timedOut: false, durationMs: 1, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '', failed: exitCode !== 0 };
    if (result.failed && spec.reject !== false) throw new NcupdError('NCUPD_COMMAND_FAILED', { detail: `${command} exited ${exitCode}: ${result.stderr}` });
    return result;
  };
  return {
    id: 'scripted', kind: 'local', commands, files: stored, run,
    start(): RunningProcess {
      throw new Error('the scripted host starts no processes');
    },
    async writeFile(path, data) {
      stored.set(path, data.toString());
    },
    // The native file operations are answered by the script as the commands they replace, so a
    // recorded sequence reads the same whichever way a method asks.
    async rename(from, to) {
      await run({ file: 'perl', args: ['-e', 'rename', '--', from, to] });
    },
    async exists(path) {
      return (await run({ file: 'test', args: ['-e', path], reject: false })).exitCode === 0;
    },
    async listDir(path) {
      const result = await run({ file: 'ls', args: ['-A1', path], reject: false });
      return result.exitCode === 0 ? result.stdout.split('\n').filter((n) => n.length > 0) : [];
    },
    async readFile(path) {
      const content = stored.get(path);
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(content);
    },
  };
}
