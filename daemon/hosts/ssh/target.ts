/** Where and how to reach one SSH host: the resolved form of an instance's `host.ssh` config. */
export interface SshTarget {
  readonly host: string;
  readonly port: number;
  /** Login user; commands for other users (and root's own steps) go through `sudo -n`. */
  readonly user: string;
  /** Private key file, root-only on the orchestrator. */
  readonly identityFile?: string;
  /** Root-only file whose first line is the key's passphrase. */
  readonly passphraseFile?: string;
  /** Path of an SSH agent socket (SSH_AUTH_SOCK) to authenticate with. */
  readonly agentSocket?: string;
  /** known_hosts file the host key must be listed in; ignored when `fingerprint` is set. */
  readonly knownHostsFile?: string;
  /** Pinned `SHA256:...` host key fingerprint. */
  readonly fingerprint?: string;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutSeconds: number;
}

export function describeTarget(target: SshTarget): string {
  return `${target.user}@${target.host}:${target.port}`;
}
