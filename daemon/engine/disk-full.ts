// The words tools use for a full disk: Node's ENOSPC, coreutils and PostgreSQL "No space left on
// device", unzip 6.00 "write error (disk full?)" (it never prints strerror), MariaDB "Errcode: 28",
// mariadb-dump "Got errno 28 on write", PostgreSQL's short write "could not extend file".
const FULL = /No space left on device|write error \(disk full\?\)|Errcode: 28\b|errno 28\b|ENOSPC|could not extend file/i;

/** The path a tool named on the line that said the disk is full: quoted, or unzip's `<file>:  write error`. */
function pathOnLine(line: string): string {
  const quoted = /'([^'\n]+)'|"([^"\n]+)"/.exec(line);
  if (quoted) return quoted[1] ?? quoted[2] ?? '';
  // unzip: `<file>:  write error (disk full?)`; others: `<path>: No space left on device`.
  const leading = /^\s*(?:inflating:\s*)?(\/[^\s:]+):\s/.exec(line) ?? /(\/[^\s:]+):\s+write error/.exec(line);
  return leading?.[1] ?? '';
}

/**
 * Whether a failure was a full disk, anywhere in its cause chain. Returns the path named, '' when
 * none is named, undefined when the disk was not full.
 */
export function diskFullPath(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as { code?: unknown; path?: unknown; message?: unknown; cause?: unknown };
    if (e.code === 'ENOSPC') return typeof e.path === 'string' ? e.path : '';
    const text = typeof e.message === 'string' ? e.message : typeof current === 'string' ? current : '';
    const line = text.split('\n').find((l) => FULL.test(l));
    if (line !== undefined) return pathOnLine(line);
    current = e.cause;
  }
  return undefined;
}
