import { existsSync } from 'node:fs';

/** Waits until `path` exists (a socket a helper process creates), or throws after `timeoutMs`. */
export async function waitForPath(path: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
