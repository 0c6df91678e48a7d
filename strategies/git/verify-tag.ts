import { join } from 'node:path';
import type { GitConfig } from '../../daemon/config/schema.js';
import { makePrivateDir, removeOwnTree } from '../../daemon/engine/host-fs.js';
import { git, type GitLayout } from './layout.js';

export interface TagVerdict {
  readonly ok: boolean;
  /** The commit the tag points at. */
  readonly commit: string;
  /** How it was trusted (or why not). */
  readonly detail: string;
}

/**
 * A fetched tag is trusted when it carries a good signature by one of the pinned keys (checked
 * with `git verify-tag` against a keyring that holds only those keys, in a GnuPG home of this run),
 * or, for repositories without signed tags, when it points at the commit pinned for the version
 * (a pin decides alone: a tag that differs from it is refused even when signed).
 */
export async function verifyTag(layout: GitLayout, config: GitConfig, tag: string, version: string | undefined, scratch: string, repository = layout.gitDir): Promise<TagVerdict> {
  const ref = `refs/tags/${tag}`;
  const commit = (await git(layout, { args: ['--git-dir', repository, 'rev-parse', '--verify', `${ref}^{commit}`], cwd: layout.workDir })).stdout.trim();
  // Pins are the server's (by release version); an app's tag (version undefined) needs a signature.
  const pinned = version === undefined ? undefined : config.pinnedCommits[version];
  if (pinned !== undefined && pinned !== commit) return { ok: false, commit, detail: `${tag} points at ${commit}, but ${pinned} is pinned for ${version}` };
  // A pinned full commit id names the exact tree (and its history): the signature adds nothing to it.
  if (pinned !== undefined) return { ok: true, commit, detail: `${tag} is the commit pinned for ${version} (${commit})` };
  if (!config.keyring) return { ok: false, commit, detail: `${tag}: no git.keyring to check its signature${version ? ` and no pinned commit for ${version}` : ''}` };
  const home = join(scratch, 'gnupg');
  await makePrivateDir(layout.host, home);
  try {
    const gpg = (args: string[]) => layout.host.run({ file: 'gpg', args: ['--homedir', home, '--batch', '--no-tty', ...args], reject: false, timeoutMs: 120_000 });
    const imported = await gpg(['--import', config.keyring]);
    if (imported.exitCode !== 0) return { ok: false, commit, detail: `the keyring ${config.keyring} could not be imported: ${imported.stderr.trim().split('\n').pop() ?? ''}` };
    const keys = await gpg(['--with-colons', '--list-keys']);
    const pinnedKeys = new Set([...keys.stdout.matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map((m) => m[1]!));
    const result = await git(layout, { args: ['--git-dir', repository, 'verify-tag', '--raw', ref], cwd: layout.workDir, reject: false, env: { GNUPGHOME: home } });
    const status = result.stderr;
    // VALIDSIG's last field is the primary key's fingerprint; the keyring holds nothing but the pinned keys.
    const valid = [...status.matchAll(/^\[GNUPG:\] VALIDSIG (\S+)(?: \S+)* ([0-9A-F]{40})$/gm)].map((m) => m[2]!);
    const by = valid.find((f) => pinnedKeys.has(f));
    if (result.exitCode === 0 && /^\[GNUPG:\] GOODSIG /m.test(status) && by) return { ok: true, commit, detail: `${tag} signed by ${by}` };
    const why = /NO_PUBKEY (\S+)/.exec(status)?.[1] ? `signed by key ${/NO_PUBKEY (\S+)/.exec(status)![1]}, which is not pinned`
      : /BADSIG/.test(status) ? 'a bad signature' : /ERRSIG/.test(status) ? 'a signature that could not be checked' : 'no signature (an unsigned or lightweight tag)';
    return { ok: false, commit, detail: `${tag} (${commit}): ${why}` };
  } finally {
    await removeOwnTree(layout.host, home);
  }
}
