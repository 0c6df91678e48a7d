// The official updater downloads its archive itself, over HTTP only, from a name matching `*-*.*`
// (contract 9). ncupd gives it the verified bytes from a loopback web server started on the
// instance's own host, through the Host: over SSH the updater's 127.0.0.1 is the target's, and no
// sshd port forwarding is needed (issue 6). PHP is on every Nextcloud host, so the server is
// `php -S` with a router that answers exactly one path.
import { basename, dirname } from 'node:path';
import type { Host, RunningProcess } from '../../daemon/hosts/host.js';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';
import { selfExcludingPattern } from '../../daemon/engine/find-processes.js';

export interface ServedArchive {
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeArchiveOptions {
  /** The instance's PHP binary on that host. */
  readonly php: string;
  /** A root-only folder of the run on that host, for the router script. */
  readonly workDir: string;
  /** The server ends by itself after this long, should ncupd die without stopping it. */
  readonly lifetimeSeconds: number;
  readonly signal?: AbortSignal;
}

const ROUTER = 'serve-archive.php';

/** The router's path: the undo step finds a leftover server by it. */
export function routerPath(workDir: string): string {
  return `${workDir}/${ROUTER}`;
}

function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Everything but GET of the one name answers 404; the built-in server then serves that file from the docroot. */
function routerScript(name: string): string {
  return [
    '<?php',
    '// ncupd: serves one verified release archive to the official updater on loopback (strategies/updater/serve-archive.ts).',
    "$path = rawurldecode((string)parse_url($_SERVER['REQUEST_URI'] ?? '', PHP_URL_PATH));",
    `if (($_SERVER['REQUEST_METHOD'] ?? '') === 'GET' && $path === ${phpString(`/${name}`)}) {`,
    '\treturn false;',
    '}',
    'http_response_code(404);',
    '',
  ].join('\n');
}

// A free port chosen on the target itself (its loopback, not this machine's). Between this probe
// and php -S binding it another program could take it: the start is then retried with a new one.
const PICK_PORT = '$s = stream_socket_server("tcp://127.0.0.1:0", $n, $m); if (!$s) { fwrite(STDERR, $m); exit(1); } $a = stream_socket_get_name($s, false); echo substr($a, strrpos($a, ":") + 1);';
// Waits until the server accepts connections (argv[1] = port), at most 10 s.
const WAIT_READY = 'for ($i = 0; $i < 100; $i++) { $c = @fsockopen("127.0.0.1", (int)$argv[1], $n, $m, 1); if ($c) { fclose($c); exit(0); } usleep(100000); } exit(1);';

async function startOnce(host: Host, archivePath: string, router: string, options: ServeArchiveOptions): Promise<{ port: number; server: RunningProcess } | undefined> {
  const picked = await host.run({ file: options.php, args: ['-n', '-r', PICK_PORT], timeoutMs: 60_000, signal: options.signal });
  const port = Number(picked.stdout.trim());
  if (!Number.isInteger(port) || port <= 0) throw new NcupdError('NCUPD_UPDATER_FAILED', { stage: 'apply', detail: `no free loopback port on ${host.id}: ${picked.stdout.trim()}` });
  // `timeout` bounds the server's life: if ncupd is killed and no recovery runs, it still goes away.
  const server = host.start({ file: 'timeout', args: [String(options.lifetimeSeconds), options.php, '-n', '-S', `127.0.0.1:${port}`, '-t', dirname(archivePath), router] });
  const ready = host.run({ file: options.php, args: ['-n', '-r', WAIT_READY, String(port)], reject: false, timeoutMs: 60_000, signal: options.signal });
  const first = await Promise.race([ready.then((r) => (r.exitCode === 0 ? 'ready' : 'not-ready')), server.exited.then(() => 'exited' as const)]);
  if (first === 'ready') return { port, server };
  await server.stop(1000);
  await ready.catch(() => undefined);
  return undefined;
}

/**
 * Serves the file at `archivePath` on `host` as `http://127.0.0.1:<port>/<its name>` until
 * close(). The server runs as root (it reads the root-only copy); its router answers nothing
 * but that one file.
 */
export async function serveArchive(host: Host, archivePath: string, options: ServeArchiveOptions): Promise<ServedArchive> {
  const name = basename(archivePath);
  const router = routerPath(options.workDir);
  await host.writeFile(router, routerScript(name), { mode: 0o600 });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = await startOnce(host, archivePath, router, options);
    if (started) {
      return {
        url: `http://127.0.0.1:${started.port}/${encodeURIComponent(name)}`,
        close: async () => void await started.server.stop(2000),
      };
    }
  }
  throw new NcupdError('NCUPD_UPDATER_FAILED', { stage: 'apply', detail: `the loopback server for ${name} did not start on ${host.id} (php -S)` });
}

/** A server left by a run that ended without closing it (ncupd killed in the updater): found by its router path, which names the run. */
export async function stopLeftoverServer(host: Host, workDir: string): Promise<void> {
  // Exit 1: nothing matched, the usual case after a normal run.
  await host.run({ file: 'pkill', args: ['-TERM', '-f', '--', selfExcludingPattern(routerPath(workDir))], reject: false, timeoutMs: 60_000 });
}
