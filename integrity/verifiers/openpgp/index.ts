import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NcupdError } from '../../../daemon/errors/ncupd-error.js';
import type { Verifier, VerificationContext } from '../verifier.js';

function gpgArgs(home: string, args: string[]): string[] {
  return ['--homedir', home, '--batch', '--no-tty', '--no-auto-key-retrieve', ...args];
}

/** The `.asc` beside the archive, checked with a keyring that holds only the pinned key (contract 3.1). */
async function verifyWithPinnedKey(context: VerificationContext, keyFile: string, home: string): Promise<string> {
  const pinned = context.trust.pgpFingerprint;
  const run = (args: string[]) => context.host.run({ file: 'gpg', args: gpgArgs(home, args), reject: false, timeoutMs: 300_000 });
  await run(['--import', keyFile]);
  const listing = await run(['--with-colons', '--list-keys']);
  const fingerprints = listing.stdout.split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9]);
  if (!fingerprints.includes(pinned)) {
    throw new NcupdError('NCUPD_PGP_KEY_MISMATCH', { detail: `${keyFile} holds ${fingerprints.join(', ') || 'no key'}, not the pinned ${pinned}`, instance: context.instance, stage: 'verify' });
  }
  let asc: string | undefined;
  for (const url of [context.sourceUrl, ...context.urls]) {
    asc = await context.fetchText(`${url}.asc`);
    if (asc !== undefined) break;
  }
  if (asc === undefined) throw new NcupdError('NCUPD_PGP_INVALID', { detail: `no .asc signature published for ${context.fileName}`, instance: context.instance, stage: 'verify' });
  const ascPath = join(home, `${context.fileName}.asc`);
  writeFileSync(ascPath, asc, { mode: 0o600 });
  const result = await run(['--status-fd', '1', '--verify', ascPath, context.archivePath]);
  // VALIDSIG <signing key fpr> ... <primary key fpr>: the last field names the key that vouches.
  const valid = result.stdout.split('\n').find((l) => l.startsWith('[GNUPG:] VALIDSIG '));
  const primary = valid?.trim().split(/\s+/).pop();
  if (result.exitCode !== 0 || primary !== pinned) {
    const why = result.stdout.split('\n').find((l) => /BADSIG|ERRSIG|NO_PUBKEY|EXPKEYSIG|REVKEYSIG/.test(l))?.replace('[GNUPG:] ', '') ?? `exit ${result.exitCode}`;
    throw new NcupdError('NCUPD_PGP_INVALID', { detail: `the OpenPGP signature of ${context.fileName} does not verify with ${pinned}: ${why}`, instance: context.instance, stage: 'verify' });
  }
  return pinned;
}

export const openpgpVerifier = {
  id: 'openpgp',
  async verify(context) {
    const keyFile = context.trust.pgpKeyFile;
    if (!keyFile) return { verifier: 'openpgp', outcome: 'skipped', detail: 'no trust.pgpKeyFile configured' };
    const home = mkdtempSync(join(tmpdir(), 'ncupd-gpg-'));
    try {
      const fingerprint = await verifyWithPinnedKey(context, keyFile, home);
      return { verifier: 'openpgp', outcome: 'passed', detail: `OpenPGP signature by ${fingerprint}` };
    } finally {
      await context.host.run({ file: 'gpgconf', args: ['--homedir', home, '--kill', 'all'], reject: false }).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
  },
} satisfies Verifier;
