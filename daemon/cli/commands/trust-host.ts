// `ncupd trust-host`: records a host key after showing it (issue 6). ncupd never trusts a key on
// first use by itself; this is the one, explicit, place where a key enters the known_hosts file.
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { DEFAULT_KNOWN_HOSTS } from '../../hosts/ssh/connect.js';
import { keysForHost, knownHostsLine, knownHostsName, fingerprintSha256 } from '../../hosts/ssh/known-hosts.js';
import { scanHostKey } from '../../hosts/ssh/scan-host-key.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { resolveConfig, selectInstances, type GlobalOptions } from '../context.js';

export interface TrustHostOptions extends GlobalOptions {
  host?: string;
  port?: string;
  knownHosts?: string;
  yes?: boolean;
}

interface Where {
  host: string;
  port: number;
  knownHostsFile: string;
  pinned?: string;
}

function target(name: string | undefined, options: TrustHostOptions): Where {
  if (options.host) {
    const port = Number(options.port ?? '22');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NcupdError('NCUPD_USAGE', { detail: `--port: expected 1-65535, got ${options.port}` });
    return { host: options.host, port, knownHostsFile: options.knownHosts ?? DEFAULT_KNOWN_HOSTS };
  }
  if (!name) throw new NcupdError('NCUPD_USAGE', { detail: 'name a configured instance, or give --host (and --port)' });
  const [instance] = selectInstances(resolveConfig(options), name);
  const ssh = instance?.host?.ssh;
  if (!ssh) throw new NcupdError('NCUPD_USAGE', { detail: `instance ${name} has no host.ssh section; it runs on this machine` });
  return { host: ssh.host, port: ssh.port, knownHostsFile: options.knownHosts ?? ssh.knownHostsFile, pinned: ssh.fingerprint };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

async function confirmed(options: TrustHostOptions): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question('Trust this key? [y/N] ')).trim());
  } finally {
    prompt.close();
  }
}

/** Appends one hashed line; the file is created root-only (its integrity is what host key checking rests on). */
async function appendLine(path: string, line: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.appendFile(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, 0o600);
}

export async function runTrustHost(name: string | undefined, options: TrustHostOptions): Promise<number> {
  const where = target(name, options);
  const key = await scanHostKey(where.host, where.port);
  const label = knownHostsName(where.host, where.port);
  const say = (text: string) => process.stdout.write(`${text}\n`);
  say(`${label} presents a ${key.keyType} key`);
  say(`  fingerprint ${key.fingerprint}`);
  say(`Compare it with the host's own, on its console: ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_${key.keyType.replace(/^ssh-|-sha2-nistp\d+$/g, '')}_key.pub`);
  if (where.pinned) {
    say(where.pinned === key.fingerprint ? 'It matches the fingerprint pinned in the configuration; nothing to record.' : `It does NOT match the pinned fingerprint ${where.pinned}.`);
    if (where.pinned === key.fingerprint) return 0;
    throw new NcupdError('NCUPD_SSH_HOST_KEY_CHANGED', { detail: `${label} presents ${key.fingerprint}, not the pinned ${where.pinned}` });
  }
  const known = keysForHost(await readText(where.knownHostsFile), where.host, where.port).filter((k) => !k.revoked);
  if (known.some((k) => k.blob.equals(key.blob))) {
    say(`Already trusted in ${where.knownHostsFile}.`);
    return 0;
  }
  if (known.length > 0) {
    // Replacing a key is a decision about a possible attack: done by hand, never by this command.
    throw new NcupdError('NCUPD_SSH_HOST_KEY_CHANGED', {
      detail: `${where.knownHostsFile} already lists another key for ${label} (${known.map((k) => `${k.keyType} ${fingerprintSha256(k.blob)}`).join(', ')}); remove that line by hand if the host really has a new key, then run trust-host again`,
    });
  }
  if (!(await confirmed(options))) {
    say(`Not recorded. Run again with --yes once the fingerprint is confirmed.`);
    return 1;
  }
  await appendLine(where.knownHostsFile, knownHostsLine(where.host, where.port, key.keyType, key.blob));
  say(`Recorded in ${where.knownHostsFile}.`);
  return 0;
}
