// selfExcludingPattern against the real pgrep: it finds a process by a literal path, and not the
// command that asks (as sudo's command line holds the pattern over SSH with a non-root login).
import assert from 'node:assert/strict';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { findProcesses, selfExcludingPattern } from '../../../daemon/engine/find-processes.js';

const host = createLocalHost();

describe('selfExcludingPattern and findProcesses', () => {
  const literal = `/tmp/ncupd-pattern-${process.pid}.d/cron.php`;

  it('does not match the command line that carries it (a parent such as sudo)', async () => {
    // sh stands where sudo stands: the parent of pgrep, with the pattern among its arguments.
    const asks = (pattern: string) => host.run({ file: 'sh', args: ['-c', 'pgrep -f -- "$1"; echo "exit $?"', 'sh', pattern], reject: false });
    assert.match((await asks(literal)).stdout, /exit 0/, 'a plain pattern finds its own parent');
    assert.match((await asks(selfExcludingPattern(literal))).stdout, /exit 1/, 'the bracketed pattern does not');
  });

  it('matches a process whose command line holds the literal, and not one where "." stands for another character', async () => {
    const running = host.start({ file: 'php', args: ['-r', 'sleep(30);', '--', literal] });
    const decoy = host.start({ file: 'php', args: ['-r', 'sleep(30);', '--', literal.replace('cron.php', 'cronXphp')] });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(await findProcesses(host, literal), [String(running.pid)]);
    } finally {
      await running.stop(500);
      await decoy.stop(500);
    }
  });
});
