import { X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NcupdError } from '../../daemon/errors/ncupd-error.js';
import { NEXTCLOUD_CORE_CERTIFICATE } from './nextcloud-certificate.js';

export interface TrustRoot {
  readonly description: string;
  readonly certificatePem: string;
  readonly publicKey: KeyObject;
  readonly fingerprint256: string;
  /** True for Nextcloud's own certificate: the official updater embeds it, so `--signature` works. */
  readonly isNextcloud: boolean;
}

/** `builtin:nextcloud` or a PEM file. Only the public key is used, as the updater does (no chain or expiry check). */
export function loadTrustRoot(setting: string): TrustRoot {
  const builtin = setting === 'builtin:nextcloud';
  let pem: string;
  try {
    pem = builtin ? NEXTCLOUD_CORE_CERTIFICATE : readFileSync(setting, 'utf8');
  } catch (cause) {
    throw new NcupdError('NCUPD_CERTIFICATE_INVALID', { detail: `cannot read trust.certificate ${setting}: ${(cause as Error).message}`, cause });
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (cause) {
    throw new NcupdError('NCUPD_CERTIFICATE_INVALID', { detail: `trust.certificate ${setting} is not a PEM certificate`, cause });
  }
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') {
    throw new NcupdError('NCUPD_CERTIFICATE_INVALID', { detail: `trust.certificate ${setting} has no RSA key` });
  }
  const nextcloud = new X509Certificate(NEXTCLOUD_CORE_CERTIFICATE);
  return {
    description: builtin ? 'Nextcloud core certificate' : `${setting} (${certificate.subject.replace(/\n/g, ', ')})`,
    certificatePem: pem,
    publicKey: certificate.publicKey,
    fingerprint256: certificate.fingerprint256,
    isNextcloud: certificate.fingerprint256 === nextcloud.fingerprint256,
  };
}
