/**
 * JSON from occ's stdout. occ may print a PCNTL warning or "PHP Deprecated" lines before the JSON
 * (contract pitfall 16), so the document is taken from the first line that starts one.
 */
export function parseOccJson<T>(stdout: string): T | undefined {
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trimStart() ?? '';
    if (!line.startsWith('{') && !line.startsWith('[')) continue;
    try {
      return JSON.parse(lines.slice(i).join('\n')) as T;
    } catch {
      // Not the document yet; a warning may itself start with a brace.
    }
  }
  return undefined;
}
