import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/repo.js';

describe('README', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const commands = [...readme.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]);

  it('opens with the two set-up commands: the main job, then the tests', () => {
    assert.equal(commands.length >= 2, true);
    assert.match(commands[0] ?? '', /npm run demo$/);
    assert.match(commands[1] ?? '', /npm test$/);
    const firstFence = readme.indexOf('```sh');
    assert.ok(firstFence >= 0 && firstFence < 200, 'the commands come first');
  });

  it('is the test command CI runs', () => {
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    assert.ok(ci.includes(`${commands[1]} 2>&1 | tee`), '.ci/run runs the README test command verbatim');
  });
});
