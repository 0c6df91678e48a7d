import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { DbType } from '../../fixtures/harness/instance.js';
import { buildGitRepository, type BuiltGitRepository, type GitTagSpec } from '../../fixtures/release-builder/git-repository.js';
import { makeBed, type Bed, type BedOptions } from '../../daemon/engine/transaction-bed.js';
import { treeHashExcept } from '../../helpers/tree-hash.js';

const host = createLocalHost();

/**
 * A transaction bed whose instance is a clone of a fixture server repository at v33.0.5, updated
 * to the tag of 33.0.6 with `strategy: git`. Real git, gpg and submodules; fake: the internet.
 */
export interface GitBed extends Bed {
  readonly repo: BuiltGitRepository;
  git(args: readonly string[], cwd?: string): Promise<string>;
  /** What a rollback must give back exactly: HEAD, submodule commits, the working tree (data and .git excluded: .git is compared by HEAD and status). */
  checkoutState(): Promise<{ head: string; submodule: string; tree: string; status: string; dotGit: string }>;
  /** More lines below the instance's `git:` (indented by two), after the bed was made (values only known then). */
  addGitConfig(lines: readonly string[]): void;
}

export interface GitBedOptions {
  readonly db?: DbType;
  readonly target?: Omit<GitTagSpec, 'version'>;
  /** Lines below `git:` in the instance's config (indented by two). */
  readonly gitConfig?: readonly string[];
  /** More tags after 33.0.6. */
  readonly more?: readonly GitTagSpec[];
  /** A repository built beforehand (to make patches against it); else one is built from the options. */
  readonly repo?: BuiltGitRepository;
  /** Where the instance is made, reached and served (makeBed's options of these names), for the SSH suites. */
  readonly remote?: Pick<BedOptions, 'ssh' | 'serve' | 'instancePath' | 'dataOutside' | 'instance'>;
}

export function buildBedRepository(options: GitBedOptions = {}): Promise<BuiltGitRepository> {
  return buildGitRepository([{ version: '33.0.5' }, { version: '33.0.6', ...options.target }, ...(options.more ?? [])]);
}

export async function makeGitBed(options: GitBedOptions = {}): Promise<GitBed> {
  const repo = options.repo ?? (await buildBedRepository(options));
  const bed = await makeBed({
    ...options.remote, db: options.db, strategy: 'git', target: repo.tags['33.0.6']!.release,
    instance: { ...options.remote?.instance, release: repo.tags['33.0.5']!.release, checkout: { repository: repo.bare, tag: 'v33.0.5' } },
    // version.php of a checkout says channel "git", which the update server answers with nothing.
    instanceConfig: { channel: 'stable' },
    instanceYaml: ['git:', `  keyring: ${repo.keyringPath}`, '  allowFileProtocol: true', ...(options.gitConfig ?? []).map((l) => `  ${l}`)],
  });
  const git = async (args: readonly string[], cwd = bed.instance.root) =>
    (await host.run({ file: 'git', args: ['-c', 'safe.directory=*', ...args], cwd, env: { GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent', GIT_OPTIONAL_LOCKS: '0' } })).stdout.trim();
  return {
    ...bed, repo, git,
    addGitConfig(lines) {
      const path = join(bed.work, 'config.yaml');
      const anchor = '      allowFileProtocol: true\n';
      writeFileSync(path, readFileSync(path, 'utf8').replace(anchor, `${anchor}${lines.map((l) => `      ${l}\n`).join('')}`));
    },
    async checkoutState() {
      const root = bed.instance.root;
      return {
        head: await git(['rev-parse', 'HEAD']),
        submodule: await git(['rev-parse', 'HEAD'], join(root, '3rdparty')),
        tree: treeHashExcept(new Set([bed.instance.dataDir, join(root, '.git')]), root),
        status: await git(['status', '--porcelain', '--untracked-files=all']),
        dotGit: (await host.run({ file: 'stat', args: ['-c', '%F', join(root, '.git')] })).stdout.trim(),
      };
    },
  };
}

/** A format-patch file changing `file` on a clone at v33.0.5. */
export async function makePatch(bare: string, file: string, edit: (text: string) => string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ncupd-patch-'));
  const env = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Admin', GIT_AUTHOR_EMAIL: 'admin@example.test', GIT_COMMITTER_NAME: 'Admin', GIT_COMMITTER_EMAIL: 'admin@example.test' };
  await host.run({ file: 'git', args: ['clone', '-q', '--branch', 'v33.0.5', bare, join(dir, 'c')], env });
  writeFileSync(join(dir, 'c', file), edit(readFileSync(join(dir, 'c', file), 'utf8')));
  await host.run({ file: 'git', args: ['commit', '-q', '-am', `local change to ${file}`], cwd: join(dir, 'c'), env });
  await host.run({ file: 'git', args: ['format-patch', '-q', '-1', '-o', join(dir, 'out')], cwd: join(dir, 'c'), env });
  return join(dir, 'out', readdirSync(join(dir, 'out'))[0]!);
}
