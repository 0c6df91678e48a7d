import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import type { ReleaseFault } from '../../fixtures/release-builder/release-options.js';
import { createInstance, type InstanceOptions, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { serveInstance, type ServedInstance } from '../../fixtures/harness/serve.js';
import { startUpdateServer, type UpdateServerDouble } from '../../fixtures/update-server/index.js';
import { runNcupd } from '../../helpers/run-ncupd.js';
import { scannedDirectories } from '../../helpers/secret-scan.js';

/**
 * One update scenario: a fixture instance on 33.0.5 served by php -S, an update server double
 * offering 33.0.6 (optionally with faults) from its loopback file server, and ncupd's state and
 * cache in a temporary folder. Fake: the internet (update server and mirror are loopback).
 */
export interface Bed {
  readonly instance: FixtureInstance;
  readonly served: ServedInstance;
  readonly server: UpdateServerDouble;
  readonly target: BuiltRelease;
  readonly work: string;
  readonly stateDir: string;
  /** The bed's config.yaml. */
  readonly config: string;
  now(extra?: string[]): ReturnType<typeof runNcupd>;
  close(): Promise<void>;
}

export interface BedOptions {
  readonly db?: InstanceOptions['db'];
  readonly server?: InstanceOptions['server'];
  readonly dataOutside?: boolean;
  readonly faults?: ReleaseFault[];
  readonly strategy?: 'archive' | 'updater' | 'git';
  readonly instance?: Partial<InstanceOptions>;
  /** ncupd's state directory (default `<work>/state`), for example on a small file system. */
  readonly stateDir?: string;
  /** More keys of the instance in config.yaml, for example `rollbackWaitSeconds`. */
  readonly instanceConfig?: Readonly<Record<string, string | number>>;
  /** Raw YAML lines appended to the instance (nested keys such as `git:`), indented by the caller below the instance. */
  readonly instanceYaml?: readonly string[];
  /** The release offered as 33.0.6 (default: built with `faults`); a git bed offers its tag's release. */
  readonly target?: BuiltRelease;
  /** The installed and offered releases, when not the small default pair (the benchmark's realistic trees). */
  readonly releases?: { readonly installed: BuiltRelease; readonly target: BuiltRelease };
  /** How long one `ncupd now` may take (default 10 minutes). */
  readonly nowTimeoutMs?: number;
  /** Reach the instance over SSH (the harness sshd on loopback, test/fixtures/harness/sshd.ts). */
  readonly ssh?: { readonly host: string; readonly port: number; readonly user: string; readonly identityFile: string; readonly knownHostsFile: string; readonly connectTimeoutSeconds?: number };
  /**
   * Serves the instance somewhere else than this machine's loopback (default serveInstance): the
   * namespace host's web server (test/fixtures/harness/netns-host.ts), so the final probes cross the veth.
   */
  readonly serve?: (instance: FixtureInstance) => Promise<ServedInstance>;
  /** The install root as the instance's host sees it (config.yaml's `path`), when that host sees this machine's files elsewhere. */
  readonly instancePath?: (root: string) => string;
}

export async function makeBed(options: BedOptions = {}): Promise<Bed> {
  const [installed, target] = options.releases
    ? [options.releases.installed, options.releases.target]
    : await Promise.all([buildRelease({ version: '33.0.5' }), options.target ?? buildRelease({ version: '33.0.6', faults: options.faults ?? [] })]);
  const server = await startUpdateServer({ today: '2026-11-27' });
  const name = 'nextcloud-33.0.6.zip';
  server.serveFile(name, target.zipPath);
  server.serveFile(`${name}.sha512`, `${target.zipPath}.sha512`);
  server.setReleases({ releases: [{ version: '33.0.6', internalVersion: '33.0.6.1', channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18',
    downloads: { zip: [server.downloadUrl(name)], bz2: [] }, signature: target.zipSignature.replace(/\n/g, '') }], daily: [] });
  const instance = await createInstance({ release: installed, db: options.db, server: options.server, dataOutside: options.dataOutside, rows: 500, ...options.instance });
  const served = await (options.serve ?? serveInstance)(instance);
  const work = mkdtempSync(join(tmpdir(), 'ncupd-tx-'));
  const stateDir = options.stateDir ?? join(work, 'state');
  scannedDirectories.push(stateDir, join(work, 'cache'));
  const config = join(work, 'config.yaml');
  writeFileSync(config, [
    `stateDir: ${stateDir}`, `cacheDir: ${join(work, 'cache')}`, 'instances:', '  - name: cloud', `    path: ${options.instancePath?.(instance.root) ?? instance.root}`,
    `    webUser: ${instance.webUser}`, `    url: ${served.url}`, `    updateServer: ${server.url}`, `    strategy: ${options.strategy ?? 'archive'}`,
    '    finalProbeSeconds: 8', '    cronWaitSeconds: 5', '    trust:', `      certificate: ${target.pki.coreCertPath}`,
    `    reloadCommand: [${join(work, 'reload.sh')}]`,
    ...Object.entries(options.instanceConfig ?? {}).map(([key, value]) => `    ${key}: ${value}`),
    ...(options.instanceYaml ?? []).map((line) => `    ${line}`),
    ...(options.ssh ? ['    host:', '      ssh:', ...Object.entries(options.ssh).map(([key, value]) => `        ${key}: ${value}`)] : []),
    // Each bed has its own control socket: a daemon of another test (or of the machine) never takes its runs.
    'daemon:', `  controlSocket: ${join(work, 'control.sock')}`, '  statusPort: 0', '  jitterSeconds: 0', '',
  ].join('\n'));
  // The reload hook records its calls (issue 4: it runs after the swap and after a rollback swap).
  writeFileSync(join(work, 'reload.sh'), `#!/bin/sh\necho reload >> ${join(work, 'reload.log')}\n`, { mode: 0o755 });
  return {
    instance, served, server, target, work, stateDir, config,
    now: (extra = []) => runNcupd(['now', '--config', config, ...extra], { timeoutMs: options.nowTimeoutMs ?? 600_000 }),
    async close() {
      await served.stop();
      await server.close();
      await instance.destroy();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
