// Database passwords reach client programs in a 0600 file inside a fresh 0700 directory on the
// target host, never in arguments or environment values (shared/design.md, Host seam). The
// directory is not the snapshot directory, so no credential can end up among the snapshot files.
import type { CommandSpec, Host } from '../../hosts/host.js';
import { QUICK_MS } from './run-tool.js';

/** Runs `use` with `content` in a private file on `host`, then removes the file and its directory. */
export async function withSecretFile<T>(host: Host, name: string, content: string, use: (path: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  // mktemp -d creates the directory 0700, owned by the executor's user (root).
  const made = await host.run({ file: 'mktemp', args: ['-d', '-t', 'ncupd-db.XXXXXXXXXX'], timeoutMs: QUICK_MS, signal });
  const dir = made.stdout.trim();
  const path = `${dir}/${name}`;
  try {
    await host.writeFile(path, content, { mode: 0o600 });
    return await use(path);
  } finally {
    // No signal here: the file goes even when the call was cancelled.
    await host.run({ file: 'rm', args: ['-f', '--', path], reject: false, timeoutMs: QUICK_MS }).catch(() => undefined);
    await host.run({ file: 'rmdir', args: ['--', dir], reject: false, timeoutMs: QUICK_MS }).catch(() => undefined);
  }
}

/** The same host with `secrets` masked in every command it runs: a method wraps its host once, so no call can forget. */
export function maskingHost(host: Host, secrets: readonly string[]): Host {
  const known = secrets.filter((secret) => secret.length > 0);
  if (known.length === 0) return host;
  const mask = <T extends CommandSpec>(spec: T): T => ({ ...spec, secrets: [...(spec.secrets ?? []), ...known] });
  return {
    id: host.id,
    kind: host.kind,
    run: (spec) => host.run(mask(spec)),
    start: (spec) => host.start(mask(spec)),
    writeFile: (path, data, options) => host.writeFile(path, data, options),
    readFile: (path) => host.readFile(path),
    rename: (from, to) => host.rename(from, to),
    exists: (path) => host.exists(path),
    listDir: (path) => host.listDir(path),
  };
}
