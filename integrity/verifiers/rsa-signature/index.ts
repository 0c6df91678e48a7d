import { constants, publicDecrypt, type KeyObject } from 'node:crypto';
import { NcupdError } from '../../../daemon/errors/ncupd-error.js';
import type { Verifier } from '../verifier.js';

// DER prefix of DigestInfo for SHA-512 (RFC 8017, 9.2, note 1).
const SHA512_DIGEST_INFO = Buffer.from('3051300d060960864801650304020305000440', 'hex');

/**
 * RSASSA-PKCS1-v1_5 verification over a digest computed elsewhere: the archive is hashed once,
 * while it downloads, and that one digest serves both the checksum and the signature (issue 3).
 * The recovered block must equal DigestInfo || digest exactly, so no lenient parsing is involved.
 */
export function verifyRsaSha512Digest(digestHex: string, signatureBase64: string, publicKey: KeyObject): boolean {
  const signature = Buffer.from(signatureBase64.replace(/\s+/g, ''), 'base64');
  const modulusBytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (signature.length !== modulusBytes) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
  return recovered.equals(Buffer.concat([SHA512_DIGEST_INFO, Buffer.from(digestHex, 'hex')]));
}

export const rsaSignatureVerifier = {
  id: 'rsa-signature',
  async verify(context) {
    if (!context.signature && context.allowUnsigned) {
      return { verifier: 'rsa-signature', outcome: 'skipped', detail: 'unsigned build accepted by policy.allowUnsigned' };
    }
    if (!context.signature) {
      throw new NcupdError('NCUPD_SIGNATURE_MISSING', { detail: `the update server gave no signature for ${context.fileName}`, instance: context.instance, stage: 'verify' });
    }
    if (!verifyRsaSha512Digest(context.sha512, context.signature, context.trustRoot.publicKey)) {
      throw new NcupdError('NCUPD_SIGNATURE_INVALID', {
        detail: `the signature of ${context.fileName} does not verify against ${context.trustRoot.description} (SHA-256 ${context.trustRoot.fingerprint256})`,
        instance: context.instance, stage: 'verify',
      });
    }
    return { verifier: 'rsa-signature', outcome: 'passed', detail: `RSA-SHA512 signature verified against ${context.trustRoot.description}` };
  },
} satisfies Verifier;
