// Reading OpenSSH known_hosts files (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): plain and hashed
// (`|1|salt|hmac`) host names, the `[host]:port` form for other ports than 22, patterns with `*`
// and `?`, negation with `!`, and the @revoked marker. @cert-authority lines are skipped: ncupd
// pins host keys, not CAs.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface KnownHostKey {
  readonly keyType: string;
  /** The public key blob (base64-decoded second field). */
  readonly blob: Buffer;
  readonly revoked: boolean;
}

/** `SHA256:` + unpadded base64 of the blob's SHA-256, as `ssh-keygen -l -E sha256` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The name known_hosts stores for a host: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(name);
}

function hashedMatches(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Whether the host-names field of a line names `name` (any positive match and no negated one). */
function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Every key the file lists for `host`:`port`, in file order. */
export function keysForHost(text: string, host: string, port: number): KnownHostKey[] {
  const name = knownHostsName(host, port);
  const keys: KnownHostKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] === '@cert-authority') continue;
      revoked = fields[0] === '@revoked';
      if (!revoked) continue;
      fields = fields.slice(1);
    }
    const [hosts, keyType, data] = fields;
    if (!hosts || !keyType || !data || !hostFieldMatches(hosts, name)) continue;
    keys.push({ keyType, blob: Buffer.from(data, 'base64'), revoked });
  }
  return keys;
}

/** One line for the file, hashed like `ssh-keygen -H` so the file does not list the fleet's host names. */
export function knownHostsLine(host: string, port: number, keyType: string, blob: Buffer): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(knownHostsName(host, port)).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${keyType} ${blob.toString('base64')}`;
}

/** The key type named inside an SSH public key blob (its first length-prefixed string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}
