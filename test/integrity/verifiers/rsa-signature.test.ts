import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifyRsaSha512Digest } from '../../../integrity/verifiers/rsa-signature/index.js';
import { loadTrustRoot } from '../../../integrity/trust/trust-certificate.js';
import { buildRelease } from '../../fixtures/release-builder/build-release.js';

describe('RSA-SHA512 signature over a precomputed digest', () => {
  it('verifies what `openssl dgst -sha512 -sign` made, and nothing else', async () => {
    const release = await buildRelease({ version: '33.0.5' });
    const digest = createHash('sha512').update(readFileSync(release.zipPath)).digest('hex');
    const core = new X509Certificate(readFileSync(release.pki.coreCertPath)).publicKey;
    const other = new X509Certificate(readFileSync(release.pki.otherCertPath)).publicKey;
    assert.equal(verifyRsaSha512Digest(digest, release.zipSignature, core), true);
    assert.equal(verifyRsaSha512Digest(digest, release.zipSignature, other), false, 'another certificate');
    const tampered = createHash('sha512').update(Buffer.concat([readFileSync(release.zipPath), Buffer.from('x')])).digest('hex');
    assert.equal(verifyRsaSha512Digest(tampered, release.zipSignature, core), false, 'other bytes');
    assert.equal(verifyRsaSha512Digest(digest, 'AAAA', core), false, 'a truncated signature');
  });

  it('pins Nextcloud\'s core certificate by default', () => {
    const root = loadTrustRoot('builtin:nextcloud');
    assert.equal(root.fingerprint256, '79:35:F3:26:CE:31:55:BC:1C:21:C6:75:B9:2D:E8:37:2A:98:D6:B5:03:58:83:04:29:73:78:91:4C:85:76:26');
    assert.equal(root.isNextcloud, true);
  });
});
