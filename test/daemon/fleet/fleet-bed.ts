import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease, type BuiltRelease } from '../../fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../../fixtures/harness/instance.js';
import { serveInstance, type ServedInstance } from '../../fixtures/harness/serve.js';
import type { SshdServer } from '../../fixtures/harness/sshd.js';
import { startUpdateServer, type UpdateServerDouble } from '../../fixtures/update-server/index.js';
import { runLimited } from '../../../daemon/fleet/ring-runner.js';
import { runNcupd } from '../../helpers/run-ncupd.js';
import { scannedDirectories } from '../../helpers/secret-scan.js';

/**
 * A fleet for rollout tests: `count` fixture instances (SQLite, few rows: creating one costs a
 * second or two) on 33.0.5, each served by php -S. The releases are built once and two update
 * server doubles are shared: `good` offers a sound 33.0.6, `bad` a 33.0.6 whose migration fails.
 * The instances named in `bad` ask the bad one; those named in `ssh` are reached over SSH.
 */
export interface FleetMember {
  readonly name: string;
  readonly instance: FixtureInstance;
  readonly served: ServedInstance;
  readonly ssh: boolean;
}

export interface FleetBed {
  readonly members: readonly FleetMember[];
  readonly good: UpdateServerDouble;
  readonly bad: UpdateServerDouble;
  readonly target: BuiltRelease;
  readonly work: string;
  readonly stateDir: string;
  readonly config: string;
  rollout(extra?: string[]): ReturnType<typeof runNcupd>;
  ncupd(args: string[]): ReturnType<typeof runNcupd>;
  /** The bad server offers the sound 33.0.6 from now on (the operator replaced the release). */
  fixBadRelease(): void;
  close(): Promise<void>;
}

export interface FleetOptions {
  readonly count: number;
  /** Ring name -> instance names or patterns, in order. */
  readonly rings: readonly { readonly name: string; readonly instances: readonly string[] }[];
  /** Names of the instances whose update server offers the failing release. */
  readonly bad: readonly string[];
  readonly parallel: number;
  readonly soakMinutes?: number;
  /** More YAML lines for every instance (indented below it by the bed), for example `soakHours: 0`. */
  readonly instanceYaml?: readonly string[];
  /** The harness sshd, and the instances reached through it. */
  readonly ssh?: { readonly server: SshdServer; readonly names: readonly string[] };
}

export const memberName = (i: number): string => `node-${String(i + 1).padStart(2, '0')}`;

function offer(server: UpdateServerDouble, release: BuiltRelease): void {
  const name = 'nextcloud-33.0.6.zip';
  server.serveFile(name, release.zipPath);
  server.serveFile(`${name}.sha512`, `${release.zipPath}.sha512`);
  server.setReleases({ releases: [{ version: '33.0.6', internalVersion: '33.0.6.1', channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18',
    downloads: { zip: [server.downloadUrl(name)], bz2: [] }, signature: release.zipSignature.replace(/\n/g, '') }], daily: [] });
}

export async function makeFleet(options: FleetOptions): Promise<FleetBed> {
  const [installed, target, failing] = await Promise.all([
    buildRelease({ version: '33.0.5' }), buildRelease({ version: '33.0.6' }), buildRelease({ version: '33.0.6', faults: ['failing-migration'] }),
  ]);
  const good = await startUpdateServer({ today: '2026-11-27' });
  const bad = await startUpdateServer({ today: '2026-11-27' });
  offer(good, target);
  offer(bad, failing);
  const work = mkdtempSync(join(tmpdir(), 'ncupd-fleet-'));
  const stateDir = join(work, 'state');
  scannedDirectories.push(stateDir, join(work, 'cache'));
  const members: FleetMember[] = [];
  const indexes = Array.from({ length: options.count }, (_, i) => i);
  // Two at a time: installing is mostly PHP on one core each.
  await runLimited(indexes, async (i) => {
    const instance = await createInstance({ release: installed, db: 'sqlite3', rows: 20, users: 1 });
    const served = await serveInstance(instance);
    members[i] = { name: memberName(i), instance, served, ssh: options.ssh?.names.includes(memberName(i)) ?? false };
  }, { parallel: 2, shouldStop: () => false });
  const ssh = options.ssh?.server;
  const config = join(work, 'config.yaml');
  writeFileSync(config, [
    `stateDir: ${stateDir}`, `cacheDir: ${join(work, 'cache')}`, 'instances:',
    ...members.flatMap((m) => [
      `  - name: ${m.name}`, `    path: ${m.instance.root}`, `    webUser: ${m.instance.webUser}`, `    url: ${m.served.url}`,
      `    updateServer: ${options.bad.includes(m.name) ? bad.url : good.url}`, '    strategy: archive',
      '    finalProbeSeconds: 8', '    cronWaitSeconds: 5', '    trust:', `      certificate: ${target.pki.coreCertPath}`,
      ...(options.instanceYaml ?? []).map((line) => `    ${line}`),
      ...(m.ssh && ssh ? ['    host:', '      ssh:', `        host: ${ssh.host}`, `        port: ${ssh.port}`, '        user: root',
        `        identityFile: ${ssh.privateKeyPath}`, `        knownHostsFile: ${ssh.knownHostsPath}`] : []),
    ]),
    'rollout:', `  soakMinutes: ${options.soakMinutes ?? 0}`, `  parallel: ${options.parallel}`, '  rings:',
    ...options.rings.flatMap((r) => [`    - name: ${r.name}`, `      instances: [${r.instances.map((n) => JSON.stringify(n)).join(', ')}]`]),
    'daemon:', `  controlSocket: ${join(work, 'control.sock')}`, '  statusPort: 0', '  jitterSeconds: 0', '',
  ].join('\n'));
  const ncupd = (args: string[]) => runNcupd([...args, '--config', config], { timeoutMs: 1_200_000 });
  return {
    members, good, bad, target, work, stateDir, config, ncupd,
    rollout: (extra = []) => ncupd(['rollout', ...extra]),
    fixBadRelease: () => offer(bad, target),
    async close() {
      await Promise.allSettled(members.map(async (m) => {
        await m.served.stop();
        await m.instance.destroy();
      }));
      await good.close();
      await bad.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
