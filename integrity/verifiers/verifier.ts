import type { Host } from '../../daemon/hosts/host.js';
import type { TrustConfig } from '../../daemon/config/schema.js';
import type { TrustRoot } from '../trust/trust-certificate.js';

/** What every verifier sees: the archive, its digest from the single streaming pass, and the trust settings. */
export interface VerificationContext {
  readonly archivePath: string;
  readonly fileName: string;
  /** SHA-512 of the archive bytes, hex; computed once while downloading. */
  readonly sha512: string;
  /** The URL the archive came from; checksum and .asc files are looked for beside it. */
  readonly sourceUrl: string;
  /** Every URL the archive is published at (mirrors), in order. */
  readonly urls: readonly string[];
  /** The update server's `<signature>` (whitespace removed), if any. */
  readonly signature: string | undefined;
  /** policy.allowUnsigned: an unsigned (daily) build is accepted without a signature. */
  readonly allowUnsigned: boolean;
  readonly trust: TrustConfig;
  readonly trustRoot: TrustRoot;
  /** The orchestrator's own host: verification never runs on the target. */
  readonly host: Host;
  readonly fetchText: (url: string) => Promise<string | undefined>;
  readonly instance?: string;
}

export interface VerificationResult {
  readonly verifier: string;
  /** `passed`, or `skipped` with the reason (an optional check that does not apply). Failures throw. */
  readonly outcome: 'passed' | 'skipped';
  readonly detail: string;
}

/** The Verifier seam (shared/design.md): why a download is trusted. */
export interface Verifier {
  readonly id: string;
  verify(context: VerificationContext): Promise<VerificationResult>;
}
