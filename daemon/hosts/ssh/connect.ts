// Opening one authenticated, host-verified SSH connection and turning ssh2's failures into
// catalog errors. Credentials are read here, from root-only files, and never leave this module.
// ssh2 is CommonJS; Node's named-export detection does not see `utils`, so the default export it is.
import ssh2, { type Client, type ConnectConfig } from 'ssh2';
import { readRootOnlyFile } from '../../config/root-only-file.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { hostKeyCheck, type HostKeyPolicy } from './host-key.js';
import { describeTarget, type SshTarget } from './target.js';

export const DEFAULT_KNOWN_HOSTS = '/etc/ncupd/known_hosts';

export function hostKeyPolicy(target: SshTarget): HostKeyPolicy {
  return target.fingerprint ? { kind: 'fingerprint', fingerprint: target.fingerprint } : { kind: 'known-hosts', file: target.knownHostsFile ?? DEFAULT_KNOWN_HOSTS };
}

function keyFileError(target: SshTarget) {
  return (kind: 'missing' | 'insecure', detail: string, cause?: unknown) =>
    new NcupdError('NCUPD_SSH_KEY_UNUSABLE', { detail: `${describeTarget(target)}: ${detail}${kind === 'insecure' ? ' (must be a regular file owned by root, mode 0600)' : ''}`, cause });
}

/** The private key, decrypted; a wrong or missing passphrase is reported before any connection. */
async function loadKey(target: SshTarget): Promise<{ privateKey: string; passphrase: string | undefined } | undefined> {
  if (!target.identityFile) return undefined;
  const ownerUid = process.getuid?.() ?? 0;
  const fail = keyFileError(target);
  const keyText = await readRootOnlyFile(target.identityFile, { what: 'SSH private key', ownerUid, fail });
  const passphrase = target.passphraseFile
    ? (await readRootOnlyFile(target.passphraseFile, { what: 'SSH key passphrase', ownerUid, fail })).split('\n')[0]
    : undefined;
  const parsed = ssh2.utils.parseKey(keyText, passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase|decrypt|bad/i.test(parsed.message);
    throw new NcupdError('NCUPD_SSH_KEY_UNUSABLE', {
      detail: encrypted
        ? `${describeTarget(target)}: the private key ${target.identityFile} cannot be decrypted: ${target.passphraseFile ? `the passphrase in ${target.passphraseFile} is wrong` : 'it is encrypted and no passphraseFile is configured'}`
        : `${describeTarget(target)}: the private key ${target.identityFile} cannot be read as an SSH key`,
    });
  }
  return { privateKey: keyText, passphrase };
}

/** Connects, verifies the host key, authenticates; rejects with a catalog error. */
export async function openConnection(target: SshTarget): Promise<Client> {
  if (!target.identityFile && !target.agentSocket) {
    throw new NcupdError('NCUPD_SSH_AUTH_FAILED', { detail: `${describeTarget(target)}: no identityFile and no agent configured` });
  }
  const key = await loadKey(target);
  const check = await hostKeyCheck(hostKeyPolicy(target), target.host, target.port);
  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.user,
    privateKey: key?.privateKey,
    passphrase: key?.passphrase,
    agent: target.agentSocket,
    hostVerifier: (blob: Buffer) => check.verify(blob),
    algorithms: check.algorithms ? { serverHostKey: check.algorithms as never } : undefined,
    readyTimeout: target.connectTimeoutSeconds * 1000,
    keepaliveInterval: target.keepaliveSeconds * 1000,
    keepaliveCountMax: 3,
    // Only what we configured: no password or keyboard-interactive fallback.
    tryKeyboard: false,
  };
  const client = new ssh2.Client();
  return new Promise<Client>((resolve, reject) => {
    let failed = false;
    const fail = (error: Error & { level?: string; code?: string }) => {
      // A handshake that timed out still reports the socket's end later ("Connection lost before
      // handshake"): that second error is the same failure, and must not go unhandled (a crash).
      if (failed) return;
      failed = true;
      client.end();
      const refused = check.refusal();
      if (refused) return reject(refused);
      const where = describeTarget(target);
      if (error.level === 'client-authentication') {
        return reject(new NcupdError('NCUPD_SSH_AUTH_FAILED', { detail: `${where}: the server refused our key${target.agentSocket ? ' (and every key of the agent)' : ''}`, cause: error }));
      }
      const reason = error.level === 'client-timeout' ? `no SSH handshake within ${target.connectTimeoutSeconds} s` : error.code ?? error.message;
      reject(new NcupdError('NCUPD_SSH_CONNECT_FAILED', { detail: `${where}: ${reason}`, cause: error }));
    };
    client.on('error', fail);
    client.once('ready', () => {
      client.off('error', fail);
      // Without it every command pays Nagle's wait for a delayed ACK (about 40 ms each on loopback):
      // our small channel requests sit unsent while the server's previous small packet is unacknowledged.
      client.setNoDelay(true);
      resolve(client);
    });
    client.connect(config);
  });
}
