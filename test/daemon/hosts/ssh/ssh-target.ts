import type { SshTarget } from '../../../../daemon/hosts/ssh/index.js';
import type { SshdServer } from '../../../fixtures/harness/sshd.js';

/** The SshTarget that reaches a harness sshd with its own key and known_hosts file; `overrides` change one thing. */
export function targetFor(server: SshdServer, overrides: Partial<SshTarget> = {}): SshTarget {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    identityFile: server.privateKeyPath,
    knownHostsFile: server.knownHostsPath,
    keepaliveSeconds: 5,
    connectTimeoutSeconds: 10,
    ...overrides,
  };
}
