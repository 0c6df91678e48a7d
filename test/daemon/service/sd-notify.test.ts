import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalHost } from '../../../daemon/hosts/local/index.js';
import type { RunningProcess } from '../../../daemon/hosts/host.js';
import { extendTimeout, holdTimeout, notify, ready, status, startWatchdog, stopping, watchdog, watchdogIntervalMs } from '../../../daemon/service/sd-notify.js';
import { makeTempDir } from '../../fixtures/harness/temp-files.js';

// The service manager is faked (systemd is not PID 1 here): socat plays NOTIFY_SOCKET and appends
// every datagram it receives to a file. The sender is the real systemd-notify.

const host = createLocalHost('sd-notify-test');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sd-notify', function () {
  let dir: string;
  let socket: string;
  let received: string;
  let receiver: RunningProcess;

  beforeEach(async () => {
    dir = await makeTempDir('ncupd-notify');
    socket = join(dir, 'notify.sock');
    received = join(dir, 'received');
    receiver = host.start({ file: 'socat', args: ['-u', `UNIX-RECV:${socket}`, `OPEN:${received},creat,append`] });
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(20);
    assert.ok(existsSync(socket), 'socat did not create the socket');
  });

  afterEach(async () => {
    await receiver.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  const text = async (expect: RegExp): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const got = existsSync(received) ? readFileSync(received, 'utf8') : '';
      if (expect.test(got)) return got;
      await sleep(20);
    }
    return existsSync(received) ? readFileSync(received, 'utf8') : '';
  };

  it('delivers READY=1, STATUS=, WATCHDOG=1 and STOPPING=1 with the socket passed explicitly', async () => {
    assert.equal(await ready(host, 'ready: 2 instances', { socket, block: false }), true);
    assert.equal(await status(host, 'checking cloud\nFORGED=1', { socket }), true);
    assert.equal(await watchdog(host, { socket }), true);
    assert.equal(await stopping(host, 'stopping', { socket, block: false }), true);
    const got = await text(/STOPPING=1/);
    assert.match(got, /READY=1\nSTATUS=ready: 2 instances/);
    // A newline in a value is flattened, so it cannot add a field.
    assert.match(got, /STATUS=checking cloud FORGED=1/);
    assert.doesNotMatch(got, /\nFORGED=1/);
    assert.match(got, /WATCHDOG=1/);
  });

  it('waits for the manager by default (BARRIER=1); a receiver that keeps the barrier costs at most 5 s', async () => {
    // socat keeps the descriptor systemd-notify passes for the barrier, so the wait times out: the
    // message still arrives, and the call reports that it was not confirmed instead of hanging.
    const started = Date.now();
    assert.equal(await extendTimeout(host, 900, { socket }), false);
    assert.ok(Date.now() - started < 8000);
    const got = await text(/BARRIER=1/);
    assert.match(got, /EXTEND_TIMEOUT_USEC=900000000/);
  });

  it('pings the watchdog at half of WATCHDOG_USEC, only for the PID systemd named', async () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '120000000' }), 60_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '120000000', WATCHDOG_PID: String(process.pid + 1) }), undefined);
    assert.equal(watchdogIntervalMs({}), undefined);
    const timer = startWatchdog(host, { env: { WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid), NOTIFY_SOCKET: socket } });
    assert.equal(timer?.intervalMs, 200);
    await sleep(1100);
    timer?.stop();
    const pings = ((await text(/WATCHDOG=1/)).match(/WATCHDOG=1/g) ?? []).length;
    assert.ok(pings >= 3, `only ${pings} pings in 1.1 s`);
  });

  it('keeps extending a timeout at every half of it until stopped', async () => {
    const hold = holdTimeout(host, 'rolling back cloud', 0.4, { socket, block: false });
    await sleep(700);
    hold.stop();
    const got = await text(/EXTEND_TIMEOUT_USEC=400000/);
    assert.ok((got.match(/EXTEND_TIMEOUT_USEC=400000\nSTATUS=rolling back cloud/g) ?? []).length >= 3, got);
  });

  it('does nothing outside systemd', async () => {
    const recording = { ...host, run: () => { throw new Error('must not run'); } };
    assert.equal(await notify(recording, { READY: '1' }, { socket: '' }), false);
  });
});
