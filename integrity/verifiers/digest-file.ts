import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

// One reused 1 MiB buffer read through a file handle: a read stream allocates a buffer per chunk
// and ran at about half the speed on the benchmark's 157 MB archive (docs/performance.md).
const CHUNK_BYTES = 1024 * 1024;

/**
 * SHA-512 of a file, hex, in one streaming pass. The one digest serves the checksum and the
 * RSA-SHA512 signature (verifyRsaSha512Digest): the archive's bytes are read once.
 */
export async function sha512OfFile(path: string): Promise<string> {
  const hash = createHash('sha512');
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}
