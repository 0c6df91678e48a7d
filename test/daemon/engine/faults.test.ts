import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandResult } from '../../../daemon/hosts/host.js';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import { parseFaultSpec } from '../../../daemon/engine/faults.js';

// The points read NCUPD_FAULT once per process, so each behaviour runs in its own tiny node process.
const FAULTS_URL = new URL('../../../daemon/engine/faults.js', import.meta.url).href;
const HOST_URL = new URL('../../../daemon/hosts/local/index.js', import.meta.url).href;
const IMPORTS = `import { faultPoint, faultWhileRunning, InjectedFault } from ${JSON.stringify(FAULTS_URL)};
import { writeFileSync } from 'node:fs';
`;
// execa is slow to load: only the scripts that start a grandchild import the host.
const HOST_IMPORT = `import { createLocalHost } from ${JSON.stringify(HOST_URL)};\n`;

const host = createLocalHost();

function nodeArgs(body: string): string[] {
  return ['--input-type=module', '-e', `${IMPORTS}${body.includes('createLocalHost') ? HOST_IMPORT : ''}${body}`];
}

function runScript(body: string, env: Record<string, string>, options: { setsid?: boolean } = {}): Promise<CommandResult> {
  const args = nodeArgs(body);
  return options.setsid
    ? host.run({ file: 'setsid', args: ['--wait', process.execPath, ...args], env, reject: false, timeoutMs: 20_000 })
    : host.run({ file: process.execPath, args, env, reject: false, timeoutMs: 20_000 });
}

/** Gone, or a zombie nobody reaped yet: either way it no longer runs. */
function stillRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !condition();) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('fault injection: parseFaultSpec', () => {
  it('reads one point=action, with the point free to hold colons', () => {
    assert.deepEqual([...parseFaultSpec('apply:after=kill')], [['apply:after', 'kill']]);
  });

  it('reads several comma-separated points, trimming blanks and ignoring empty parts', () => {
    assert.deepEqual([...parseFaultSpec(' stage:apply:before=throw , upgrade:running=pause,,undo:move-back:after=kill, ')], [
      ['stage:apply:before', 'throw'], ['upgrade:running', 'pause'], ['undo:move-back:after', 'kill'],
    ]);
  });

  it('arms nothing for an unset, empty or blank spec', () => {
    for (const spec of [undefined, '', '   ', ',']) assert.equal(parseFaultSpec(spec).size, 0, JSON.stringify(spec));
  });

  it('refuses an unknown action, naming the bad part', () => {
    assert.throws(() => parseFaultSpec('apply:after=explode'), (e: Error) => e.message.includes('"apply:after=explode"'));
    assert.throws(() => parseFaultSpec('a=kill,b=KILL'), (e: Error) => e.message.includes('"b=KILL"'));
    assert.throws(() => parseFaultSpec('apply:after='), (e: Error) => e.message.includes('"apply:after="'));
  });

  it('refuses a part without "=" or without a point', () => {
    assert.throws(() => parseFaultSpec('apply:after'), (e: Error) => e.message.includes('"apply:after"'));
    assert.throws(() => parseFaultSpec('a=kill,upgrade:running'), (e: Error) => e.message.includes('"upgrade:running"'));
    assert.throws(() => parseFaultSpec('=kill'), (e: Error) => e.message.includes('"=kill"'));
  });
});

describe('fault injection: points in a running process', function () {
  this.timeout(30_000);
  let dir: string;
  let leftover: number | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ncupd-faults-'));
  });
  afterEach(async () => {
    if (leftover !== undefined && stillRuns(leftover)) process.kill(leftover, 'SIGKILL');
    leftover = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('does nothing at an unarmed point and prints no warning', async () => {
    const result = await runScript(`await faultPoint('apply:after'); process.stdout.write('passed');`, {});
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, 'passed');
    assert.equal(result.stderr, '');
  });

  it('throw: the point rejects with an InjectedFault naming it; other points pass', async () => {
    const result = await runScript(`
      await faultPoint('apply:before');
      try {
        await faultPoint('apply:after');
        process.stdout.write(JSON.stringify({ thrown: false }));
      } catch (e) {
        process.stdout.write(JSON.stringify({ thrown: true, injected: e instanceof InjectedFault, isError: e instanceof Error, point: e.point }));
      }`, { NCUPD_FAULT: 'apply:after=throw' });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { thrown: true, injected: true, isError: true, point: 'apply:after' });
  });

  it('an armed process warns once on stderr, naming the spec', async () => {
    const result = await runScript(`await faultPoint('a'); await faultPoint('b');`, { NCUPD_FAULT: 'never:reached=kill' });
    assert.equal(result.exitCode, 0, result.stderr);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('TEST FAULT INJECTION ARMED'));
    assert.equal(warnings.length, 1, result.stderr);
    assert.ok(warnings[0]!.includes('never:reached=kill'), result.stderr);
  });

  it('a malformed NCUPD_FAULT fails the first point instead of running unarmed', async () => {
    const result = await runScript(`await faultPoint('apply:after'); process.stdout.write('ran unarmed');`, { NCUPD_FAULT: 'apply:after' });
    assert.notEqual(result.exitCode, 0);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.includes('NCUPD_FAULT'), result.stderr);
  });

  it('NCUPD_FAULT_LOG lists every point reached, in order, with the action of the armed ones', async () => {
    const log = join(dir, 'points.log');
    const result = await runScript(`
      await faultPoint('stage:discover:before');
      await faultPoint('stage:discover:after');
      faultWhileRunning('upgrade:running', new AbortController().signal).stop();
      await faultPoint('stage:apply:after').catch(() => undefined);
      await faultPoint('rollback:start');`, { NCUPD_FAULT: 'stage:apply:after=throw', NCUPD_FAULT_LOG: log });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.deepEqual((await readFile(log, 'utf8')).split('\n'), [
      'stage:discover:before', 'stage:discover:after', 'upgrade:running', 'stage:apply:after throw', 'rollback:start', '',
    ]);
  });

  it('kill: the process dies by SIGKILL at the point, running nothing after it', async () => {
    const log = join(dir, 'points.log');
    const result = await runScript(`
      await faultPoint('apply:before');
      process.stdout.write('before ');
      await faultPoint('apply:after');
      process.stdout.write('after');`, { NCUPD_FAULT: 'apply:after=kill', NCUPD_FAULT_LOG: log });
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.stdout, 'before ');
    assert.deepEqual((await readFile(log, 'utf8')).split('\n'), ['apply:before', 'apply:after kill', '']);
  });

  it('kill as a group leader (setsid): its children die with it, like at a power cut', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const result = await runScript(`
      const sleeper = createLocalHost().start({ file: 'sleep', args: ['30'] });
      writeFileSync(${JSON.stringify(pidFile)}, String(sleeper.pid));
      await faultPoint('upgrade:running');`, { NCUPD_FAULT: 'upgrade:running=kill' }, { setsid: true });
    assert.equal(result.signal, 'SIGKILL', `exit ${result.exitCode} ${result.stderr}`);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    leftover = grandchild;
    assert.ok(grandchild > 0);
    await waitUntil(`the grandchild sleep ${grandchild} is gone`, () => !stillRuns(grandchild), 2000);
  });

  it('kill outside a group of its own: only the process dies, never the group it shares (its parent)', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const result = await runScript(`
      const sleeper = createLocalHost().start({ file: 'sleep', args: ['30'] });
      writeFileSync(${JSON.stringify(pidFile)}, String(sleeper.pid));
      await faultPoint('upgrade:running');`, { NCUPD_FAULT: 'upgrade:running=kill' });
    assert.equal(result.signal, 'SIGKILL');
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    leftover = grandchild;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(stillRuns(grandchild), true, 'the child in the shared group was not signalled');
  });

  it('pause: writes the point into NCUPD_FAULT_PAUSE_FILE, waits, and continues once the file is removed', async () => {
    const pauseFile = join(dir, 'pause');
    const marker = join(dir, 'resumed');
    const child = host.start({
      file: process.execPath,
      args: nodeArgs(`await faultPoint('upgrade:running'); writeFileSync(${JSON.stringify(marker)}, 'yes'); process.stdout.write('resumed');`),
      env: { NCUPD_FAULT: 'upgrade:running=pause', NCUPD_FAULT_PAUSE_FILE: pauseFile },
    });
    try {
      await waitUntil('the pause file names the point', () => existsSync(pauseFile) && readFileSync(pauseFile, 'utf8') === 'upgrade:running\n');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(existsSync(marker), false, 'the process went on while paused');
      await rm(pauseFile);
      const result = await child.exited;
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.stdout, 'resumed');
      assert.equal(existsSync(marker), true);
    } finally {
      await child.stop(0);
    }
  });

  it('pause: a cancelled run stops waiting even though the file is still there', async () => {
    const pauseFile = join(dir, 'pause');
    const result = await runScript(`
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 200);
      await faultPoint('stage:apply:before', stop.signal);
      process.stdout.write(String(stop.signal.aborted));`, { NCUPD_FAULT: 'stage:apply:before=pause', NCUPD_FAULT_PAUSE_FILE: pauseFile });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, 'true');
    assert.equal(await readFile(pauseFile, 'utf8'), 'stage:apply:before\n');
  });

  it('pause without NCUPD_FAULT_PAUSE_FILE fails the point rather than hanging', async () => {
    const result = await runScript(`await faultPoint('p').catch((e) => process.stdout.write(String(e instanceof InjectedFault) + ' ' + e.message));`, { NCUPD_FAULT: 'p=pause' });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(result.stdout.startsWith('false ') && result.stdout.includes('NCUPD_FAULT_PAUSE_FILE'), result.stdout);
  });

  describe('faultWhileRunning', () => {
    it('throw: aborts the returned signal after the delay with an InjectedFault, leaving the caller\'s signal alone', async () => {
      const result = await runScript(`
        const parent = new AbortController();
        const started = Date.now();
        const { signal } = faultWhileRunning('upgrade:running', parent.signal);
        const atOnce = signal.aborted;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        const r = signal.reason;
        process.stdout.write(JSON.stringify({ atOnce, injected: r instanceof InjectedFault, point: r.point, ms: Date.now() - started, parent: parent.signal.aborted }));`,
      { NCUPD_FAULT: 'upgrade:running=throw', NCUPD_FAULT_DELAY_MS: '150' });
      assert.equal(result.exitCode, 0, result.stderr);
      const seen = JSON.parse(result.stdout) as { atOnce: boolean; injected: boolean; point: string; ms: number; parent: boolean };
      assert.deepEqual({ ...seen, ms: 0 }, { atOnce: false, injected: true, point: 'upgrade:running', ms: 0, parent: false });
      assert.ok(seen.ms >= 140, `aborted after ${seen.ms} ms, before the delay`);
    });

    it('stop() before the delay (the command finished) disarms it', async () => {
      const result = await runScript(`
        const { signal, stop } = faultWhileRunning('upgrade:running', new AbortController().signal);
        stop();
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.stdout.write(String(signal.aborted));`, { NCUPD_FAULT: 'upgrade:running=throw', NCUPD_FAULT_DELAY_MS: '50' });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.stdout, 'false');
    });

    it('still follows the caller\'s signal, and returns it unchanged when the point is not armed', async () => {
      const result = await runScript(`
        const parent = new AbortController();
        const armed = faultWhileRunning('upgrade:running', parent.signal);
        const other = faultWhileRunning('dump:running', parent.signal);
        parent.abort(new Error('cancelled'));
        armed.stop();
        process.stdout.write(JSON.stringify({ follows: armed.signal.aborted, reason: armed.signal.reason.message, same: other.signal === parent.signal }));`,
      { NCUPD_FAULT: 'upgrade:running=throw' });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), { follows: true, reason: 'cancelled', same: true });
    });

    it('kill: the process dies by SIGKILL while the command runs', async () => {
      const result = await runScript(`
        faultWhileRunning('upgrade:running', new AbortController().signal);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        process.stdout.write('survived');`, { NCUPD_FAULT: 'upgrade:running=kill', NCUPD_FAULT_DELAY_MS: '50' });
      assert.equal(result.signal, 'SIGKILL');
      assert.equal(result.stdout, '');
    });
  });
});
