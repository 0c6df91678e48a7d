import type { InstanceConfig } from '../../../daemon/config/schema.js';
import type { HealthCheck } from '../check.js';
import { describeFailure } from '../run-occ.js';

export type CommandCheckConfig = InstanceConfig['checks']['commands'][number];

/** Room for the host to stop the command (SIGTERM, SIGKILL after 2 s) before the runner gives up on it. */
const STOP_GRACE_MS = 5_000;

/**
 * One operator-defined command (config `checks.commands[]`) as its own check: its outcome, its
 * name and its deadline stay separate from the others', so a failure names the entry.
 */
export function customCommandCheck(entry: CommandCheckConfig): HealthCheck {
  const id = `custom-command:${entry.name}`;
  const timeoutMs = entry.timeoutSeconds * 1000;
  return {
    id,
    // Inside the window, after `occ upgrade` (config schema); HTTP-facing checks belong in checks.http.
    phases: ['window'],
    timeoutMs: timeoutMs + STOP_GRACE_MS,
    async run(context) {
      // The schema requires a program (min 1 element); no shell, the arguments go as they are.
      const [file, ...args] = entry.command;
      const result = await context.host.run({
        file: file!,
        args,
        cwd: context.instance.path,
        user: entry.asWebUser ? context.instance.webUser : undefined,
        timeoutMs,
        signal: context.signal,
        reject: false,
      });
      if (result.exitCode === 0 && !result.timedOut) return { check: id, status: 'passed', detail: `exit 0 in ${result.durationMs} ms` };
      return { check: id, status: 'failed', detail: `${entry.command.join(' ')}: ${describeFailure(result)}` };
    },
  } satisfies HealthCheck;
}

/** The instance's configured commands, one check each, in configuration order. */
export function customCommandChecks(instance: InstanceConfig): HealthCheck[] {
  return instance.checks.commands.map(customCommandCheck);
}
