/** PHP bounds a release's lib/versioncheck.php enforces (contract 7, "PHP limits"). */
export interface PhpBounds {
  /** Lowest accepted `major.minor`. */
  readonly min: string | undefined;
  /** First `major.minor` refused (exclusive bound). */
  readonly maxExclusive: string | undefined;
}

function fromId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const n = Number(id);
  return `${Math.floor(n / 10000)}.${Math.floor((n % 10000) / 100)}`;
}

/** Reads the two comparisons of versioncheck.php; running it would only make it exit. */
export function parsePhpBounds(source: string | null | undefined): PhpBounds {
  if (!source) return { min: undefined, maxExclusive: undefined };
  return {
    min: fromId(/PHP_VERSION_ID\s*<\s*(\d{5,6})/.exec(source)?.[1]),
    maxExclusive: fromId(/PHP_VERSION_ID\s*>=\s*(\d{5,6})/.exec(source)?.[1]),
  };
}

/** Compares `major.minor[.release]` strings numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function phpWithin(bounds: PhpBounds, php: string): boolean {
  const minor = php.split('.').slice(0, 2).join('.');
  if (bounds.min && compareVersions(minor, bounds.min) < 0) return false;
  if (bounds.maxExclusive && compareVersions(minor, bounds.maxExclusive) >= 0) return false;
  return true;
}
