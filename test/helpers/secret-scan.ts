/** State and cache folders ncupd wrote during the suite; tests add theirs, the root hook scans them. */
export const scannedDirectories: string[] = [];

/** Which secrets (plain or URL-encoded) appear in which texts; empty when nothing leaked. */
export function findLeaks(texts: readonly string[], secrets: Iterable<string>): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    if (secret.length < 6) continue;
    const forms = [secret, encodeURIComponent(secret)];
    texts.forEach((text, index) => {
      if (forms.some((form) => text.includes(form))) leaks.push(`secret #${leaks.length + 1} in output ${index}`);
    });
  }
  return leaks;
}
