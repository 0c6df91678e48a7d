import { readFileSync, statSync } from 'node:fs';
import { trustSchema } from '../daemon/config/schema.js';
import { basename } from 'node:path';
import { checksumVerifier } from '../integrity/verifiers/checksum/index.js';
import { sha512OfFile } from '../integrity/verifiers/digest-file.js';
import { rsaSignatureVerifier } from '../integrity/verifiers/rsa-signature/index.js';
import { loadTrustRoot } from '../integrity/trust/trust-certificate.js';
import type { BuiltRelease } from '../test/fixtures/release-builder/build-release.js';
import { host, timed } from './measure.js';

export interface VerifyFigures {
  readonly verifyMbS: number;
  readonly sha512sumMbS: number;
}

/**
 * ncupd's verification of a cached archive, the code `ncupd now` runs: one streaming SHA-512
 * pass, then the RSA-SHA512 signature and the published `.sha512` checked against that digest.
 * Beside it, coreutils' sha512sum of the same file, interleaved, both from the page cache.
 */
export async function measureVerify(release: BuiltRelease, repetitions: number): Promise<{ ncupd: number[]; sha512sum: number[]; mb: number }> {
  const path = release.zipPath;
  const mb = statSync(path).size / 1e6;
  const trustRoot = loadTrustRoot(release.pki.coreCertPath);
  const context = (sha512: string) => ({
    archivePath: path, fileName: basename(path), sha512, sourceUrl: `file://${path}`, urls: [`file://${path}`],
    signature: release.zipSignature.replace(/\s+/g, ''), allowUnsigned: false,
    trust: trustSchema.parse({ certificate: release.pki.coreCertPath, checksums: 'required' }), trustRoot, host,
    fetchText: async (url: string) => readFileSync(url.replace(/^file:\/\//, ''), 'utf8'),
  });
  await host.run({ file: 'sha512sum', args: [path], timeoutMs: 600_000 }); // warms the page cache for both
  const ncupd: number[] = [];
  const sha512sum: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const ours = await timed(async () => {
      const digest = await sha512OfFile(path);
      await rsaSignatureVerifier.verify(context(digest));
      const checksum = await checksumVerifier.verify(context(digest));
      if (checksum.outcome !== 'passed') throw new Error(`checksum not verified: ${checksum.detail}`);
    });
    ncupd.push(mb / ours.seconds);
    const theirs = await timed(() => host.run({ file: 'sha512sum', args: [path], timeoutMs: 600_000 }));
    sha512sum.push(mb / theirs.seconds);
  }
  return { ncupd, sha512sum, mb };
}
