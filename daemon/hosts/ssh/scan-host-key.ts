// What `ncupd trust-host` shows: the key a server presents, fetched by a handshake that is
// refused right after the key exchange. Nothing is authenticated and no command can run.
import ssh2 from 'ssh2';
import { NcupdError } from '../../errors/ncupd-error.js';
import { blobKeyType, fingerprintSha256 } from './known-hosts.js';

export interface ScannedHostKey {
  readonly keyType: string;
  readonly blob: Buffer;
  readonly fingerprint: string;
}

export function scanHostKey(host: string, port: number, timeoutSeconds = 20): Promise<ScannedHostKey> {
  const client = new ssh2.Client();
  let seen: Buffer | undefined;
  return new Promise<ScannedHostKey>((resolve, reject) => {
    client.once('error', (error: Error & { level?: string; code?: string }) => {
      client.end();
      if (seen) return resolve({ keyType: blobKeyType(seen), blob: seen, fingerprint: fingerprintSha256(seen) });
      const reason = error.level === 'client-timeout' ? `no SSH handshake within ${timeoutSeconds} s` : error.code ?? error.message;
      reject(new NcupdError('NCUPD_SSH_CONNECT_FAILED', { detail: `${host}:${port}: ${reason}`, cause: error }));
    });
    client.once('ready', () => {
      // Unreachable: the verifier refuses every key. Kept so a library change cannot leave a session open.
      client.end();
      reject(new NcupdError('NCUPD_SSH_CONNECT_FAILED', { detail: `${host}:${port}: the handshake went further than asked` }));
    });
    client.connect({
      host,
      port,
      username: 'ncupd-host-key-scan',
      readyTimeout: timeoutSeconds * 1000,
      hostVerifier: (blob: Buffer) => {
        seen = blob;
        return false;
      },
    });
  });
}
