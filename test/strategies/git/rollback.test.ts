// A failing migration in a git update rolls back code (the swap back), config and database as
// with `archive` (issue 10), and the checkout comes back with the same HEAD, the same submodule
// commits and the same working tree. Real git, php and databases; fake: the internet.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunSummary } from '../../../daemon/engine/journal-types.js';
import { instanceState } from '../../helpers/instance-state.js';
import { parseJson, runNcupd } from '../../helpers/run-ncupd.js';
import { FULL_TIER } from '../../helpers/tier.js';
import type { DbType } from '../../fixtures/harness/instance.js';
import { makeGitBed, type GitBed } from './git-bed.js';

async function version(bed: GitBed) {
  return JSON.parse((await bed.instance.occ(['status', '--output=json'])).stdout) as { version: string; maintenance: boolean };
}

async function rolledBackExactly(bed: GitBed): Promise<void> {
  const checkout = await bed.checkoutState();
  const before = await instanceState(bed.instance);
  const result = await bed.now(['--json']);
  const summary = parseJson<RunSummary>(result.stdout);
  assert.equal(summary.result, 'rolled-back', JSON.stringify(summary));
  assert.equal(summary.failedStage, 'upgrade');
  assert.equal(summary.errorCode, 'NCUPD_UPGRADE_FAILED');
  assert.ok(summary.stages.some((s) => s.name === 'apply' && s.status === 'done'), 'the swap happened before the migration failed');
  const after = await bed.checkoutState();
  assert.equal(after.head, checkout.head, 'same HEAD');
  assert.equal(after.submodule, checkout.submodule, 'same 3rdparty commit');
  assert.equal(after.tree, checkout.tree, 'same working-tree hash (content, modes, owners)');
  assert.equal(after.status, checkout.status, 'same git status');
  assert.equal(after.dotGit, checkout.dotGit);
  const state = await instanceState(bed.instance);
  assert.equal(state.code, before.code, 'the whole install root (with .git) hashes as before');
  assert.equal(state.config, before.config, 'config.php equal');
  assert.deepEqual(state.rows, before.rows, 'every database row equal');
  assert.equal(state.files, before.files, 'every user file equal');
  const now = await version(bed);
  assert.equal(now.maintenance, false);
  const gitDir = join(dirname(bed.instance.root), '.ncupd-cloud', 'git', 'cloud.git');
  const records = await bed.git(['--git-dir', gitDir, 'worktree', 'list', '--porcelain']);
  assert.ok(!records.includes(`/${summary.txid}/`), `no record of the removed staged tree is left:\n${records}`);
}

const DATABASES: DbType[] = FULL_TIER ? ['sqlite3', 'mysql', 'pgsql'] : ['sqlite3'];

describe('git strategy: rollback', function () {
  this.timeout(600_000);

  for (const db of DATABASES) {
    it(`rolls back a failing migration on ${db}: the original checkout (its own .git) comes back untouched`, async () => {
      const bed = await makeGitBed({ db, target: { faults: ['failing-migration'] } });
      try {
        assert.equal((await bed.checkoutState()).dotGit, 'directory', 'a checkout ncupd never updated has its own .git');
        await rolledBackExactly(bed);
        assert.equal((await version(bed)).version, '33.0.5.1');
      } finally {
        await bed.close();
      }
    });
  }

  // A kill in the window, then `ncupd recover`: the journaled undo steps (swap-back, git-repair-worktrees,
  // remove-staged-tree, git-prune-worktrees) run from the journal alone.
  for (const point of FULL_TIER ? ['carry:moved', 'swap:between', 'swap:done'] : []) {
    it(`recovers after a kill at ${point}: the checkout comes back with the same HEAD, submodule and tree`, async () => {
      const bed = await makeGitBed();
      try {
        const checkout = await bed.checkoutState();
        const before = await instanceState(bed.instance);
        const config = join(bed.work, 'config.yaml');
        const killed = await runNcupd(['now', '--json', '--config', config], { env: { NCUPD_FAULT: `${point}=kill` }, timeoutMs: 300_000 });
        assert.notEqual(killed.exitCode, 0, 'the run was killed');
        const recovered = await runNcupd(['recover', '--json', '--config', config], { timeoutMs: 300_000 });
        assert.equal(recovered.exitCode, 0, recovered.stdout + recovered.stderr);
        assert.deepEqual(await bed.checkoutState(), checkout, 'HEAD, submodule, working tree, status and .git as before');
        const state = await instanceState(bed.instance);
        assert.equal(state.code, before.code);
        assert.equal(state.config, before.config);
        assert.deepEqual(state.rows, before.rows);
        assert.equal((await version(bed)).maintenance, false);
        const gitDir = join(dirname(bed.instance.root), '.ncupd-cloud', 'git', 'cloud.git');
        const records = (await bed.git(['--git-dir', gitDir, 'worktree', 'list', '--porcelain'])).split('\n').filter((l) => l.startsWith('worktree '));
        assert.deepEqual(records, [`worktree ${gitDir}`], 'the staged worktree is forgotten');
      } finally {
        await bed.close();
      }
    });
  }

  it('rolls back a second update (the live tree already a worktree of ncupd\'s repository) to the same HEAD, submodule and tree', async () => {
    const bed = await makeGitBed({ more: [{ version: '33.0.7', faults: ['failing-migration'] }] });
    try {
      const first = parseJson<RunSummary>((await bed.now(['--json'])).stdout);
      assert.equal(first.result, 'updated', first.message);
      assert.equal((await bed.checkoutState()).dotGit, 'regular file', 'after ncupd\'s first update the checkout is a worktree of its repository');
      const next = bed.repo.tags['33.0.7']!.release;
      bed.server.setReleases({ releases: [{ version: '33.0.7', internalVersion: next.internalVersion, channel: 'stable', minPHPVersion: '8.1', eol: '2027-02-18',
        downloads: { zip: [bed.server.downloadUrl('nextcloud-33.0.7.zip')], bz2: [] }, signature: next.zipSignature.replace(/\n/g, '') }], daily: [] });
      await rolledBackExactly(bed);
      assert.equal((await version(bed)).version, '33.0.6.1');
      assert.match(readFileSync(join(bed.instance.root, '.git'), 'utf8'), /^gitdir: .*\/\.ncupd-cloud\/git\/cloud\.git\/worktrees\//);
      assert.equal(await bed.git(['rev-parse', 'HEAD']), bed.repo.tags['33.0.6']!.commit);
    } finally {
      await bed.close();
    }
  });
});
