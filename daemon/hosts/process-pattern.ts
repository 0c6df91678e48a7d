// pgrep/pkill -f match a regular expression against every command line on the host, and over SSH
// with a login other than root the pgrep itself runs under sudo, whose command line holds the
// pattern too: a literal pattern would find that sudo (pgrep only leaves out itself) and report a
// process that is not there (found by the SSH transaction matrix: wait-cron waited for its own sudo).

/**
 * A pgrep -f pattern that matches `literal` exactly and never its own text: every regex character
 * is escaped, and the first character stands in brackets, which the pattern's own command line
 * (holding `[x]`) does not match.
 */
export function commandLinePattern(literal: string): string {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const [first = '', rest] = [literal.slice(0, 1), literal.slice(1)];
  return `[${first === '\\' || first === ']' || first === '^' ? `\\${first}` : first}]${escape(rest)}`;
}
