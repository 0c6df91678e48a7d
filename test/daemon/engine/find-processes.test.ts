// pgrep patterns that find the process looked for, and never the search itself: over SSH with a
// sudo login, sudo's command line holds the pattern (issue 6), which a plain pattern would match.
import assert from 'node:assert/strict';
import { findProcesses, selfExcludingPattern } from '../../../daemon/engine/find-processes.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { RunningProcess } from '../../../daemon/hosts/host.js';

const host = createLocalHost('test');

describe('findProcesses', function () {
  this.timeout(30_000);
  const started: RunningProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop(500)));
  });

  /** A process whose command line is exactly `argv` (perl sleeps under the name we give it). */
  async function processWithArgs(...argv: string[]): Promise<number> {
    const p = host.start({ file: 'perl', args: ['-e', '$0 = join(" ", @ARGV); sleep 60', '--', ...argv] });
    started.push(p);
    for (let i = 0; i < 50; i++) {
      if ((await host.run({ file: 'pgrep', args: ['-f', '--', argv.join(' ').replace(/[.[\]()*+?{}|^$\\]/g, '\\$&')], reject: false })).exitCode === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return p.pid!;
  }

  it('finds a process whose command line contains the text, metacharacters taken literally', async () => {
    const text = `/srv/next.cloud (a+b)/occ upgrade ${Date.now()}`;
    const pid = await processWithArgs('php', text, '--no-interaction');
    assert.deepEqual(await findProcesses(host, text), [String(pid)]);
    // A dot in the text is not "any character".
    assert.deepEqual(await findProcesses(host, text.replace('next.cloud', 'nextXcloud')), []);
  });

  it('does not find a process that only carries the search pattern, as sudo running pgrep does', async () => {
    const text = `/srv/nextcloud/cron.php ${Date.now()}`;
    await processWithArgs('sudo', '-n', '--', 'pgrep', '-f', '--', selfExcludingPattern(text));
    assert.deepEqual(await findProcesses(host, text), []);
  });

  it('brackets the last character so the pattern cannot match its own text', () => {
    assert.equal(selfExcludingPattern('/a.b/occ upgrade'), '/a\\.b/occ upgrad[e]');
    assert.equal(selfExcludingPattern('x]'), 'x[\\]]');
  });
});
