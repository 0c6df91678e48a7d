// `ncupd check` across a fleet of 50 instances reached over SSH (issue 6): five real sshd "hosts"
// on loopback with ten fixture instances each, logged into as an unprivileged user with the
// documented sudoers entry (occ runs through `sudo -u`). Measured: wall time of one
// `ncupd check --json` over all of them, serially and with parallelism, as seconds per instance.
// Fake: the internet (the update server is a loopback double) and the distance to the hosts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRelease } from '../test/fixtures/release-builder/build-release.js';
import { createInstance, type FixtureInstance } from '../test/fixtures/harness/instance.js';
import { allowSudo, startSshd, type SshdServer } from '../test/fixtures/harness/sshd.js';
import { startUpdateServer } from '../test/fixtures/update-server/index.js';
import { host, MAIN, timed } from './measure.js';

export const FLEET_SIZE = 50;
const HOSTS = 5;
export const FLEET_PARALLELISM = [1, 8, 16] as const;

export interface SshFleetFigures {
  readonly instances: number;
  readonly hosts: number;
  readonly login: string;
  /** Seconds per instance at each parallelism ("1", "8", "16"). */
  readonly seconds_per_instance: Readonly<Record<string, number>>;
  /** Wall seconds of the whole check at each parallelism. */
  readonly wall_s: Readonly<Record<string, number>>;
  /** Serial wall time divided by the fastest parallel wall time. */
  readonly speedup: number;
}

interface CheckEntry { readonly decision?: string; readonly error?: { readonly code: string; readonly message: string } }

export async function measureSshFleet(log: (line: string) => void): Promise<SshFleetFigures> {
  const work = mkdtempSync(join(tmpdir(), 'ncupd-bench-fleet-'));
  const servers: SshdServer[] = [];
  const instances: FixtureInstance[] = [];
  const release = await buildRelease({ version: '33.0.5' });
  const updateServer = await startUpdateServer({ today: '2026-11-27', releases: { releases: [{ version: '33.0.6', internalVersion: '33.0.6.1', channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18' }], daily: [] } });
  try {
    log(`SSH fleet: ${HOSTS} sshd hosts, ${FLEET_SIZE} instances`);
    for (let i = 0; i < HOSTS; i++) servers.push(await startSshd());
    for (let i = 0; i < FLEET_SIZE; i++) instances.push(await createInstance({ release, rows: 20 }));
    await allowSudo([instances[0]!.webUser]);
    const config = join(work, 'config.yaml');
    const lines = [`stateDir: ${join(work, 'state')}`, `cacheDir: ${join(work, 'cache')}`, 'instances:'];
    instances.forEach((instance, index) => {
      const server = servers[index % HOSTS]!;
      lines.push(`  - name: cloud-${String(index).padStart(2, '0')}`, `    path: ${instance.root}`, `    webUser: ${instance.webUser}`, `    updateServer: ${updateServer.url}`,
        '    host:', '      ssh:', `        host: ${server.host}`, `        port: ${server.port}`, `        user: ${server.user}`,
        `        identityFile: ${server.privateKeyPath}`, `        knownHostsFile: ${server.knownHostsPath}`);
    });
    writeFileSync(config, lines.join('\n') + '\n');
    const wall: Record<string, number> = {};
    for (const parallel of FLEET_PARALLELISM) {
      const { value: result, seconds } = await timed(() => host.run({ file: process.execPath, args: [MAIN, 'check', '--json', '--config', config, '--parallel', String(parallel)], reject: false, timeoutMs: 1_800_000 }));
      const entries = JSON.parse(result.stdout) as CheckEntry[];
      const applied = entries.filter((entry) => entry.decision === 'apply').length;
      // A figure from a run that did not read every instance would flatter the fleet.
      if (result.exitCode !== 0 || applied !== FLEET_SIZE) {
        const failure = entries.find((entry) => entry.error)?.error;
        throw new Error(`ncupd check over the SSH fleet (parallel ${parallel}) read ${applied} of ${FLEET_SIZE} instances, exit ${result.exitCode}${failure ? `: ${failure.code} ${failure.message}` : ''}`);
      }
      wall[String(parallel)] = seconds;
      log(`  parallel ${parallel}: ${seconds.toFixed(1)} s for ${FLEET_SIZE} instances, ${(seconds / FLEET_SIZE).toFixed(3)} s per instance`);
    }
    const serial = wall['1']!;
    const fastest = Math.min(...Object.values(wall));
    return {
      instances: FLEET_SIZE, hosts: HOSTS, login: `${servers[0]!.user} with sudo`,
      seconds_per_instance: Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, Math.round((v / FLEET_SIZE) * 1000) / 1000])),
      wall_s: Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, Math.round(v * 10) / 10])),
      speedup: Math.round((serial / fastest) * 10) / 10,
    };
  } finally {
    await updateServer.close();
    for (const instance of instances) await instance.destroy();
    for (const server of servers) await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs only the fleet part: `node dist/bench/ssh-fleet.js`. */
if (process.argv[1]?.endsWith('ssh-fleet.js')) {
  measureSshFleet((line) => process.stderr.write(`${line}\n`)).then((figures) => process.stdout.write(JSON.stringify(figures, null, 2) + '\n'), (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}
