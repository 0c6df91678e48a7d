// Strict host key checking (issue 6): an unknown or changed key is refused inside the handshake,
// before authentication, so no command can run on a host we cannot name. There is no "accept
// new" mode; `ncupd trust-host` records a key after showing it to the operator.
import { readFile } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import { NcupdError } from '../../errors/ncupd-error.js';
import { blobKeyType, fingerprintSha256, keysForHost, knownHostsName } from './known-hosts.js';

export type HostKeyPolicy =
  | { readonly kind: 'known-hosts'; readonly file: string }
  | { readonly kind: 'fingerprint'; readonly fingerprint: string };

export interface HostKeyCheck {
  /** For ssh2's hostVerifier: true only for the expected key. */
  verify(blob: Buffer): boolean;
  /** Why verify() said no, as a catalog error; undefined when it said yes or was not asked. */
  refusal(): NcupdError | undefined;
  /** Host key algorithms to offer, so the server shows the key type we know (undefined: ssh2's list). */
  readonly algorithms: string[] | undefined;
}

/** ssh2's algorithm names for a known_hosts key type (an `ssh-rsa` key is used with SHA-2 signatures). */
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

const SUPPORTED = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']);

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    // A missing file is an empty one: every host is unknown until trust-host records it.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new NcupdError('NCUPD_SSH_HOST_KEY_UNKNOWN', { detail: `known_hosts file cannot be read: ${file}`, cause: error });
  }
}

export async function hostKeyCheck(policy: HostKeyPolicy, host: string, port: number): Promise<HostKeyCheck> {
  const where = `${knownHostsName(host, port)}`;
  let refused: NcupdError | undefined;
  if (policy.kind === 'fingerprint') {
    return {
      algorithms: undefined,
      verify(blob) {
        const seen = fingerprintSha256(blob);
        if (seen === policy.fingerprint) return true;
        refused = new NcupdError('NCUPD_SSH_HOST_KEY_CHANGED', {
          detail: `host key of ${where} is ${blobKeyType(blob)} ${seen}, not the pinned ${policy.fingerprint}; no command was run`,
        });
        return false;
      },
      refusal: () => refused,
    };
  }
  const known = keysForHost(await readKnownHosts(policy.file), host, port);
  const trusted = known.filter((key) => !key.revoked && SUPPORTED.has(key.keyType));
  const algorithms = [...new Set(trusted.flatMap((key) => algorithmsFor(key.keyType)))];
  return {
    algorithms: algorithms.length > 0 ? algorithms : undefined,
    verify(blob) {
      const seen = `${blobKeyType(blob)} ${fingerprintSha256(blob)}`;
      if (known.some((key) => key.revoked && sameBytes(key.blob, blob))) {
        refused = new NcupdError('NCUPD_SSH_HOST_KEY_CHANGED', { detail: `host key of ${where} (${seen}) is marked @revoked in ${policy.file}; no command was run` });
        return false;
      }
      if (trusted.some((key) => sameBytes(key.blob, blob))) return true;
      refused = trusted.length === 0
        ? new NcupdError('NCUPD_SSH_HOST_KEY_UNKNOWN', { detail: `${where} is not in ${policy.file} (it offered ${seen}); no command was run` })
        : new NcupdError('NCUPD_SSH_HOST_KEY_CHANGED', {
          detail: `host key of ${where} is ${seen}, which ${policy.file} does not list for it (it lists ${trusted.map((key) => `${key.keyType} ${fingerprintSha256(key.blob)}`).join(', ')}); no command was run`,
        });
      return false;
    },
    refusal: () => refused,
  };
}
