import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../helpers/repo.js';

// Only the host executors may import process or SSH libraries (shared/style.md, point 4).
describe('lint rule: process libraries only in host executors', () => {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const source = (lib: string) => `import * as lib from '${lib}';\nexport const used = lib;\n`;
  const errors = async (lib: string, filePath: string) =>
    (await eslint.lintText(source(lib), { filePath })).flatMap((r) => r.messages).filter((m) => m.ruleId === 'no-restricted-imports');

  for (const lib of ['execa', 'ssh2', 'child_process', 'node:child_process']) {
    it(`refuses ${lib} in a stage, a strategy, a check and a test`, async () => {
      for (const file of ['daemon/engine/stage.ts', 'strategies/archive/index.ts', 'integrity/checks/occ-status/index.ts', 'test/some.test.ts']) {
        assert.equal((await errors(lib, `${REPO_ROOT}/${file}`)).length, 1, `${lib} in ${file}`);
      }
    });
  }

  it('refuses simple-git everywhere but the git strategy\'s local runner, and the process libraries there too', async () => {
    for (const file of ['strategies/git/index.ts', 'strategies/git/host-git-runner.ts', 'daemon/engine/stage.ts', 'test/some.test.ts']) {
      assert.equal((await errors('simple-git', `${REPO_ROOT}/${file}`)).length, 1, `simple-git in ${file}`);
    }
    assert.equal((await errors('simple-git', `${REPO_ROOT}/strategies/git/simple-git-runner.ts`)).length, 0);
    assert.equal((await errors('node:child_process', `${REPO_ROOT}/strategies/git/simple-git-runner.ts`)).length, 1);
    assert.equal((await errors('execa', `${REPO_ROOT}/strategies/git/simple-git-runner.ts`)).length, 1);
  });

  it('allows them in the local and ssh executors', async () => {
    assert.equal((await errors('execa', `${REPO_ROOT}/daemon/hosts/local/index.ts`)).length, 0);
    assert.equal((await errors('ssh2', `${REPO_ROOT}/daemon/hosts/ssh/index.ts`)).length, 0);
  });
});
