import { join } from 'node:path';
import type { GitConfig } from '../../daemon/config/schema.js';
import { exists, removeOwnTree } from '../../daemon/engine/host-fs.js';
import { inspectCheckout } from './checkout.js';
import { git, type GitLayout } from './layout.js';
import { verifyTag } from './verify-tag.js';

/**
 * Apps kept in repositories of their own inside the checkout (apps/<id>/.git, not tracked by the
 * server repository). Nextcloud tags its separately kept apps with the server's release tag, so
 * each is moved to that tag where it exists and carries a good signature by a pinned key; any
 * other is left as it is (the window copies it over like a third-party app) and reported.
 *
 * The moved app is a new repository made by root in the staged tree (cloned from the app's own,
 * remotes kept, checked out at the verified commit): git never runs as root inside a repository
 * the web server user can configure. The old tree keeps the app's original repository, local
 * branches included.
 */
export async function stageAppRepositories(layout: GitLayout, config: GitConfig, staged: string, nested: readonly string[], tag: string, scratch: string): Promise<string[]> {
  const notes: string[] = [];
  for (const relative of nested) {
    const to = join(staged, relative);
    if (await exists(layout.host, to)) {
      notes.push(`${relative}: a repository of its own, but the release tracks ${relative}: the release's version is used`);
      continue;
    }
    const from = join(layout.live, relative);
    const own = await inspectCheckout(layout, from);
    const origin = own.remotes.origin;
    const left = (why: string) => notes.push(`${relative}: left at ${own.head.slice(0, 12)} (${why})`);
    if (!origin) { left('no remote "origin"'); continue; }
    if (own.changes.length > 0) { left(`local modifications: ${own.changes.slice(0, 5).join(', ')}`); continue; }
    try {
      await git(layout, { args: ['clone', '-q', '--no-checkout', '--no-hardlinks', from, to], cwd: layout.workDir, timeoutMs: 600_000 });
      for (const [name, url] of Object.entries(own.remotes)) {
        await git(layout, { args: ['-C', to, 'remote', name === 'origin' ? 'set-url' : 'add', name, url], cwd: layout.workDir });
      }
      const fetched = await git(layout, { args: ['-C', to, 'fetch', '-q', '--no-tags', 'origin', `+refs/tags/${tag}:refs/tags/${tag}`], cwd: layout.workDir, reject: false, timeoutMs: 600_000 });
      if (fetched.exitCode !== 0) { await removeOwnTree(layout.host, to); left(`no tag ${tag} at ${origin}`); continue; }
      const verdict = await verifyTag(layout, config, tag, undefined, scratch, join(to, '.git'));
      if (!verdict.ok) { await removeOwnTree(layout.host, to); left(`tag ${tag} not trusted: ${verdict.detail}`); continue; }
      await git(layout, { args: ['-C', to, 'checkout', '-q', '--detach', verdict.commit], cwd: layout.workDir });
      notes.push(`${relative}: moved to ${tag} (${verdict.commit.slice(0, 12)}, ${verdict.detail})`);
    } catch (error) {
      await removeOwnTree(layout.host, to);
      left(error instanceof Error ? error.message.split('\n')[0]! : String(error));
    }
  }
  return notes;
}
