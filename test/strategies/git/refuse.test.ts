// The git strategy refuses before the window (issue 10): a tag without a good signature by a
// pinned key, a dirty checkout, a carried patch that conflicts. Real git, gpg and php; each run
// must leave the checkout, config and database exactly as they were and no staging behind.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson } from '../../helpers/run-ncupd.js';
import { FULL_TIER } from '../../helpers/tier.js';
import { buildBedRepository, makeGitBed, makePatch, type GitBed, type GitBedOptions } from './git-bed.js';

async function refusedBeforeWindow(bed: GitBed, code: string, extra: string[] = []): Promise<RunSummary> {
  const checkout = await bed.checkoutState();
  const before = await instanceState(bed.instance);
  const result = await bed.now(['--json', ...extra]);
  const summary = parseJson<RunSummary>(result.stdout);
  assert.equal(summary.result, 'failed', JSON.stringify(summary));
  assert.equal(summary.errorCode, code, summary.message);
  assert.equal(summary.failedStage, 'stage');
  assert.equal(summary.windowMs, undefined, 'the window never opened');
  assert.deepEqual(await bed.checkoutState(), checkout, 'HEAD, submodule, working tree, status and .git as before');
  const after = await instanceState(bed.instance);
  assert.equal(after.config, before.config);
  assert.deepEqual(after.rows, before.rows);
  assert.equal(after.files, before.files);
  const txDir = join(dirname(bed.instance.root), '.ncupd-cloud', summary.txid);
  assert.ok(!existsSync(join(txDir, 'staged')), 'the staged tree was removed');
  const gitDir = join(dirname(bed.instance.root), '.ncupd-cloud', 'git', 'cloud.git');
  if (existsSync(gitDir)) {
    const records = (await bed.git(['--git-dir', gitDir, 'worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree '));
    assert.deepEqual(records, [`worktree ${gitDir}`], 'no worktree record left behind (the bare repository lists only itself)');
  }
  return summary;
}

describe('git strategy: refusals before the window', function () {
  this.timeout(600_000);

  const tags: { what: string; target: GitBedOptions['target']; pattern: RegExp }[] = [
    { what: 'signed by a key that is not pinned', target: { signing: 'wrong' }, pattern: /not pinned/ },
    { what: 'unsigned', target: { signing: 'unsigned' }, pattern: /no signature/ },
  ];
  for (const { what, target, pattern } of tags) {
    it(`refuses a tag ${what}`, async () => {
      const bed = await makeGitBed({ target });
      try {
        const summary = await refusedBeforeWindow(bed, 'NCUPD_GIT_TAG_UNVERIFIED');
        assert.match(summary.message ?? '', pattern);
        assert.match(summary.message ?? '', /v33\.0\.6/);
      } finally {
        await bed.close();
      }
    });
  }

  if (FULL_TIER) it('accepts an unsigned tag whose commit is pinned, and refuses it when the pin differs (dry runs; full tier)', async () => {
    const repo = await buildBedRepository({ target: { signing: 'unsigned' } });
    const commit = repo.tags['33.0.6']!.commit;
    const good = await makeGitBed({ repo, gitConfig: ['pinnedCommits:', `  "33.0.6": "${commit}"`] });
    try {
      const result = await good.now(['--json', '--dry-run']);
      const summary = parseJson<RunSummary>(result.stdout);
      assert.equal(summary.result, 'held', JSON.stringify(summary));
      assert.match(summary.message ?? '', /dry run/);
      assert.deepEqual(summary.stages.filter((s) => ['stage', 'preflight'].includes(s.name)).map((s) => s.status), ['done', 'done'], 'staging passed');
    } finally {
      await good.close();
    }
    const wrongPin = commit.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const bad = await makeGitBed({ repo, gitConfig: ['pinnedCommits:', `  "33.0.6": "${wrongPin}"`] });
    try {
      const summary = await refusedBeforeWindow(bad, 'NCUPD_GIT_TAG_UNVERIFIED', ['--dry-run']);
      assert.match(summary.message ?? '', new RegExp(`${wrongPin} is pinned`));
    } finally {
      await bad.close();
    }
  });

  it('refuses a dirty checkout and names the files', async () => {
    const bed = await makeGitBed();
    try {
      appendFileSync(join(bed.instance.root, 'status.php'), '// hotfix made on the server\n');
      writeFileSync(join(bed.instance.root, 'core', 'stray.txt'), 'left behind\n');
      const summary = await refusedBeforeWindow(bed, 'NCUPD_GIT_DIRTY_TREE');
      assert.match(summary.message ?? '', /status\.php/);
      assert.match(summary.message ?? '', /core\/stray\.txt/);
    } finally {
      await bed.close();
    }
  });

  it('stops before the window when a carried patch conflicts, naming the files', async () => {
    const repo = await buildBedRepository();
    const patch = await makePatch(repo.bare, 'version.php', (t) => t.replace(/\$OC_VersionString = '([^']+)'/, "$OC_VersionString = '$1 (our build)'"));
    const bed = await makeGitBed({ repo, gitConfig: ['patches:', `  - file: ${patch}`] });
    try {
      const summary = await refusedBeforeWindow(bed, 'NCUPD_GIT_PATCH_CONFLICT');
      assert.match(summary.message ?? '', /version\.php/);
    } finally {
      await bed.close();
    }
  });
});
