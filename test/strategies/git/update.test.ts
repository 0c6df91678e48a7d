// `ncupd now` with the git strategy end to end (issue 10): real repositories from the release
// builder, real git, gpg, php, SQLite and MariaDB. Fake: the internet (update server is loopback).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import type { RunContext } from '../../../daemon/engine/context.js';
import { pruneByRetention } from '../../../daemon/engine/retention.js';
import { loadConfigFile } from '../../../daemon/config/load-config.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson } from '../../helpers/run-ncupd.js';
import { FULL_TIER } from '../../helpers/tier.js';
import type { DbType } from '../../fixtures/harness/instance.js';
import { buildBedRepository, makeGitBed, makePatch } from './git-bed.js';
import { buildAppRepository } from '../../fixtures/release-builder/git-repository.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';

const host = createLocalHost();

async function status(bed: { instance: { occ(args: readonly string[]): Promise<{ stdout: string }> } }) {
  return JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
}

const DATABASES: DbType[] = FULL_TIER ? ['sqlite3', 'mysql', 'pgsql'] : ['sqlite3', 'mysql'];

describe('git strategy: ncupd now on a git checkout', function () {
  this.timeout(600_000);

  for (const db of DATABASES) {
    it(`updates a checkout on ${db} to the signed tag v33.0.6, re-applying a carried ${db === 'sqlite3' ? 'patch file' : 'local commit'}`, async () => {
      const repo = await buildBedRepository();
      const patch = db === 'sqlite3' ? await makePatch(repo.bare, 'robots.txt', (t) => `${t}# carried local change\n`) : undefined;
      const bed = await makeGitBed({ db, repo, gitConfig: patch ? ['patches:', `  - file: ${patch}`] : [] });
      try {
        if (!patch) {
          // A local commit only the live checkout has (made by its owner, as an admin would): ncupd fetches it from there.
          const asOwner = { user: bed.instance.webUser, cwd: bed.instance.root, env: { HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1',
            GIT_AUTHOR_NAME: 'Admin', GIT_AUTHOR_EMAIL: 'admin@example.test', GIT_COMMITTER_NAME: 'Admin', GIT_COMMITTER_EMAIL: 'admin@example.test' } };
          await host.run({ file: 'sh', args: ['-c', 'echo "# carried local change" >> robots.txt && git commit -q -am "local change"'], ...asOwner });
          bed.addGitConfig(['patches:', `  - commit: ${await bed.git(['rev-parse', 'HEAD'])}`]);
        }
        // Apps kept in repositories of their own: one has the release's tag, one has not.
        const apps = db === 'sqlite3' ? await Promise.all([buildAppRepository('notes', ['v33.0.5', 'v33.0.6']), buildAppRepository('legacy', ['v33.0.5'])]) : [];
        for (const app of apps) {
          const env = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
          await host.run({ file: 'git', args: ['clone', '-q', '--branch', 'v33.0.5', app.bare, join(bed.instance.root, 'apps', app.id)], env });
          await host.run({ file: 'chown', args: ['-R', `${bed.instance.webUser}:${bed.instance.webUser}`, join(bed.instance.root, 'apps', app.id)] });
        }
        const before = await instanceState(bed.instance);
        const result = await bed.now(['--json']);
        const summary = parseJson<RunSummary>(result.stdout);
        assert.equal(summary.result, 'updated', `${summary.message ?? ''}\n${result.stderr}`);
        assert.equal((await status(bed)).version, '33.0.6.1');
        const tag = bed.repo.tags['33.0.6']!;
        const after = await bed.checkoutState();
        assert.equal(await bed.git(['rev-parse', 'HEAD~1']), tag.commit, 'the carried change sits on the tag\'s commit');
        assert.match(readFileSync(join(bed.instance.root, 'robots.txt'), 'utf8'), /# carried local change/);
        assert.equal(after.submodule, tag.thirdPartyCommit, '3rdparty at the tag\'s submodule commit');
        assert.equal(after.status, '', 'the new checkout is clean: config.php and data/ are ignored, nothing else differs');
        const gitfile = readFileSync(join(bed.instance.root, '.git'), 'utf8');
        const gitDir = join(dirname(bed.instance.root), '.ncupd-cloud', 'git', 'cloud.git');
        assert.ok(gitfile.startsWith(`gitdir: ${gitDir}/worktrees/`), gitfile);
        const worktrees = await bed.git(['worktree', 'list', '--porcelain']);
        assert.match(worktrees, new RegExp(`^worktree ${bed.instance.root}$`, 'm'), worktrees);
        assert.equal(await bed.git(['remote', 'get-url', 'origin']), bed.repo.bare, 'the checkout\'s remotes came along');
        for (const app of apps) {
          const expected = app.tags['v33.0.6'] ?? app.tags['v33.0.5'];
          assert.equal(await bed.git(['rev-parse', 'HEAD'], join(bed.instance.root, 'apps', app.id)), expected,
            `${app.id}: ${app.tags['v33.0.6'] ? 'moved to the release tag' : 'left as it was (no such tag)'}\n${result.stderr}`);
          assert.equal(await bed.git(['remote', 'get-url', 'origin'], join(bed.instance.root, 'apps', app.id)), app.bare);
        }
        const state = await instanceState(bed.instance);
        assert.equal(state.files, before.files, 'every user file unchanged');
        assert.deepEqual(state.rows.filecache, before.rows.filecache);
        // Retention removes the old tree; the live checkout must not depend on it.
        const oldTree = join(dirname(bed.instance.root), '.ncupd-cloud', summary.txid);
        assert.ok(existsSync(join(oldTree, 'old', '.git')), 'the old tree is kept as the code snapshot');
        rmSync(oldTree, { recursive: true, force: true });
        await bed.git(['--git-dir', gitDir, 'worktree', 'prune']);
        const survived = await bed.checkoutState();
        assert.equal(survived.head, after.head);
        assert.equal(survived.submodule, tag.thirdPartyCommit);
        assert.equal(survived.status, '', 'still a clean checkout after its old tree is gone');
      } finally {
        await bed.close();
      }
    });
  }
  if (FULL_TIER) it('keeps working when retention removes old trees (the original checkout, then an old worktree; full tier)', async () => {
    const bed = await makeGitBed({ more: [{ version: '33.0.7' }] });
    try {
      const first = parseJson<RunSummary>((await bed.now(['--json'])).stdout);
      assert.equal(first.result, 'updated', first.message);
      const next = bed.repo.tags['33.0.7']!.release;
      bed.server.setReleases({ releases: [{ version: '33.0.7', internalVersion: next.internalVersion, channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18',
        downloads: { zip: [bed.server.downloadUrl('nextcloud-33.0.7.zip')], bz2: [] }, signature: next.zipSignature.replace(/\n/g, '') }], daily: [] });
      const second = parseJson<RunSummary>((await bed.now(['--json'])).stdout);
      assert.equal(second.result, 'updated', second.message);
      const work = join(dirname(bed.instance.root), '.ncupd-cloud');
      // ncupd's own retention, as after a run, keeping one: the current run is never counted, so it is called here, between runs.
      const loaded = loadConfigFile(join(bed.work, 'config.yaml'));
      const instance = { ...loaded.instances[0]!, snapshots: { keep: 1 } };
      const removed = await pruneByRetention({ host, config: loaded, instance, state: { workDir: work } } as unknown as RunContext);
      assert.ok(removed.includes(join(work, first.txid)), removed.join(', '));
      assert.ok(!existsSync(join(work, first.txid)), 'retention removed the first run\'s old tree (the original checkout)');
      assert.ok(existsSync(join(work, second.txid, 'old', '.git')), 'the second run\'s old tree (a worktree) is the kept snapshot');
      const checkState = async () => {
        const state = await bed.checkoutState();
        assert.equal(state.head, bed.repo.tags['33.0.7']!.commit);
        assert.equal(state.submodule, bed.repo.tags['33.0.7']!.thirdPartyCommit);
        assert.equal(state.status, '');
      };
      await checkState();
      const gitDir = join(work, 'git', 'cloud.git');
      assert.match(await bed.git(['--git-dir', gitDir, 'worktree', 'list', '--porcelain']), new RegExp(`^worktree ${join(work, second.txid, 'old')}$`, 'm'),
        'the old worktree\'s record follows it to its snapshot place');
      // A later retention removes that worktree too; the repository forgets it and the live checkout does not notice.
      rmSync(join(work, second.txid), { recursive: true, force: true });
      await bed.git(['--git-dir', gitDir, 'worktree', 'prune']);
      const records = (await bed.git(['--git-dir', gitDir, 'worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree '));
      assert.deepEqual(records, [`worktree ${gitDir}`, `worktree ${bed.instance.root}`]);
      await checkState();
      assert.equal((JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string }).version, '33.0.7.1');
    } finally {
      await bed.close();
    }
  });
});
