import type { Verifier } from './verifier.js';
import { checksumVerifier } from './checksum/index.js';
import { openpgpVerifier } from './openpgp/index.js';
import { rsaSignatureVerifier } from './rsa-signature/index.js';

/** Every verifier, in the order they run; each decides itself whether it applies. */
export const verifiers: readonly Verifier[] = [rsaSignatureVerifier, checksumVerifier, openpgpVerifier];
