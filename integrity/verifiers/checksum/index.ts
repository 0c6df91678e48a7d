import { NcupdError } from '../../../daemon/errors/ncupd-error.js';
import type { Verifier } from '../verifier.js';

/** `<hex>  <name>` (coreutils format, contract 3.1); `*` marks binary mode. */
export function parseChecksumFile(text: string, fileName: string): string | undefined {
  for (const line of text.split('\n')) {
    const match = /^([0-9a-fA-F]{128})\s+\*?(.+?)\s*$/.exec(line);
    if (match && (match[2] === fileName || match[2]?.endsWith(`/${fileName}`))) return match[1]?.toLowerCase();
  }
  return undefined;
}

/** The `.sha512` file published beside the archive, compared with the digest of the single pass. */
export const checksumVerifier = {
  id: 'checksum',
  async verify(context) {
    if (context.trust.checksums === 'off') return { verifier: 'checksum', outcome: 'skipped', detail: 'checksums are turned off (trust.checksums: off)' };
    // The GitHub mirror publishes no checksum files, download.nextcloud.com does: try beside every URL.
    const candidates = [context.sourceUrl, ...context.urls.filter((url) => url !== context.sourceUrl)];
    for (const url of candidates) {
      const text = await context.fetchText(`${url}.sha512`);
      if (text === undefined) continue;
      const expected = parseChecksumFile(text, context.fileName);
      if (expected === undefined) continue;
      if (expected !== context.sha512) {
        throw new NcupdError('NCUPD_CHECKSUM_MISMATCH', {
          detail: `${context.fileName} has SHA-512 ${context.sha512.slice(0, 16)}..., ${url}.sha512 says ${expected.slice(0, 16)}...`, instance: context.instance, stage: 'verify',
        });
      }
      return { verifier: 'checksum', outcome: 'passed', detail: `SHA-512 matches ${url}.sha512` };
    }
    if (context.trust.checksums === 'required') {
      throw new NcupdError('NCUPD_CHECKSUM_MISSING', { detail: `no .sha512 file for ${context.fileName} beside any of ${candidates.length} URLs`, instance: context.instance, stage: 'verify' });
    }
    return { verifier: 'checksum', outcome: 'skipped', detail: 'no .sha512 file published beside the archive' };
  },
} satisfies Verifier;
