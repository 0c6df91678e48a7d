/**
 * Whether a failure was a full disk, anywhere in its cause chain: Node's ENOSPC, or a tool's own
 * words (coreutils and unzip say "No space left on device", MariaDB "Errcode: 28", PostgreSQL
 * "could not extend file"). Returns the path named, '' when none is named, undefined when not full.
 */
export function diskFullPath(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as { code?: unknown; path?: unknown; message?: unknown; cause?: unknown };
    if (e.code === 'ENOSPC') return typeof e.path === 'string' ? e.path : '';
    const text = typeof e.message === 'string' ? e.message : typeof current === 'string' ? current : '';
    const said = /(?:write error|cannot create|error writing|could not (?:write|extend) file)?[^\n]*?(?:'([^'\n]+)'|"([^"\n]+)"|(\/[^\s:]+))?[^\n]*(?:No space left on device|Errcode: 28|ENOSPC)/.exec(text);
    if (said) return said[1] ?? said[2] ?? said[3] ?? '';
    current = e.cause;
  }
  return undefined;
}
