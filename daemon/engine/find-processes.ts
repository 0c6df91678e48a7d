import type { Host } from '../hosts/host.js';

/**
 * An extended regular expression (pgrep's) matching `text` literally, whose own text does not
 * match it: the last character goes in brackets (`occ upgrad[e]`). Over SSH with a login user
 * other than root, `pgrep -f` runs under sudo, and sudo's command line holds the pattern: a plain
 * pattern would find that sudo, as if the process looked for were running.
 */
export function selfExcludingPattern(text: string): string {
  const escape = (c: string) => (/[\\.[\]()*+?{}|^$]/.test(c) ? `\\${c}` : c);
  const chars = [...text];
  const last = chars.pop();
  if (last === undefined) throw new Error('selfExcludingPattern: empty text');
  return `${chars.map(escape).join('')}[${last === '\\' || last === ']' || last === '^' ? `\\${last}` : last}]`;
}

/** Pids of the processes whose command line contains `text` (never the search itself or its sudo). */
export async function findProcesses(host: Host, text: string, signal?: AbortSignal): Promise<string[]> {
  const found = await host.run({ file: 'pgrep', args: ['-f', '--', selfExcludingPattern(text)], reject: false, signal });
  return found.exitCode === 0 ? found.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
}
