// The one place that turns an instance's `host` config into a Host (shared/style.md, point 1:
// an explicit registry). Callers ask for the instance's host and never name an implementation.
import type { InstanceConfig, SshConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { Host } from './host.js';
import { createLocalHost } from './local/index.js';
import { createSshHost, type SshTarget } from './ssh/index.js';

/** A Host that may hold a connection open; close() ends it (a no-op for the local host). */
export type ManagedHost = Host & { close(): Promise<void> };

/** The orchestrator's own machine: journal, cache, snapshots of local instances, systemd. */
export function orchestratorHost(id = 'local'): ManagedHost {
  return { ...createLocalHost(id), close: async () => undefined };
}

/** The resolved SSH target of an instance's `host.ssh` section; the agent socket comes from ncupd's environment. */
export function sshTarget(ssh: SshConfig, environment: NodeJS.ProcessEnv = process.env): SshTarget {
  const agentSocket = ssh.agent ? environment.SSH_AUTH_SOCK : undefined;
  if (ssh.agent && !agentSocket && !ssh.identityFile) {
    throw new NcupdError('NCUPD_SSH_AUTH_FAILED', { detail: `${ssh.user}@${ssh.host}: agent: true, but SSH_AUTH_SOCK is not set in ncupd's environment` });
  }
  return {
    host: ssh.host,
    port: ssh.port,
    user: ssh.user,
    identityFile: ssh.identityFile,
    passphraseFile: ssh.passphraseFile,
    agentSocket,
    knownHostsFile: ssh.knownHostsFile,
    fingerprint: ssh.fingerprint,
    keepaliveSeconds: ssh.keepaliveSeconds,
    connectTimeoutSeconds: ssh.connectTimeoutSeconds,
  };
}

export const hostKinds = {
  local: (instance: InstanceConfig): ManagedHost => orchestratorHost(instance.name),
  ssh: (instance: InstanceConfig): ManagedHost => createSshHost(sshTarget(instance.host!.ssh), instance.name),
} as const satisfies Record<Host['kind'], (instance: InstanceConfig) => ManagedHost>;

export function hostKindOf(instance: InstanceConfig): Host['kind'] {
  return instance.host?.ssh ? 'ssh' : 'local';
}

/** The host the instance's files and commands live on. */
export function hostFor(instance: InstanceConfig): ManagedHost {
  return hostKinds[hostKindOf(instance)](instance);
}

/**
 * Refuses a transaction the instance's host cannot carry: `supportedHosts` is what the update
 * path supports (the strategy's capability); rollback by hand and recovery pass none for SSH
 * yet (docs/ssh.md, "Status"). Also refuses running an SSH instance's transaction on the local
 * host, which would act on a local path of the same name.
 */
export function requireTransactionHost(instance: InstanceConfig, host: Host, command: string, supportedHosts: readonly Host['kind'][] = ['local']): void {
  const kind = hostKindOf(instance);
  if (kind === host.kind && supportedHosts.includes(kind)) return;
  throw new NcupdError('NCUPD_HOST_UNSUPPORTED', {
    instance: instance.name,
    detail: kind !== host.kind
      ? `${command}: instance ${instance.name} is configured on a ${kind} host but was given the ${host.kind} host; nothing was changed`
      : `${command}: not supported for an instance reached over SSH${command === 'ncupd now' ? ` with the ${instance.strategy} strategy` : ''} yet; nothing was changed`,
  });
}

/**
 * Runs `use` with the instance's host: `local` itself for a local instance (callers and tests pass
 * their own), a fresh connection for a remote one, closed afterwards.
 */
export async function withInstanceHost<T>(instance: InstanceConfig, local: Host, use: (host: Host) => Promise<T>): Promise<T> {
  if (hostKindOf(instance) === 'local') return use(local);
  const host = hostFor(instance);
  try {
    return await use(host);
  } finally {
    await host.close();
  }
}
