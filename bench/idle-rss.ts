import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeBed } from '../test/daemon/engine/transaction-bed.js';
import { DAEMON_NODE_FLAGS } from '../daemon/service/install-files.js';
import { host, MAIN, procMemoryMb } from './measure.js';

// A window that never opens (1 January, 00:00 UTC): the daemon starts, checks, and then idles.
const CLOSED = "[{cron: '0 0 1 1 *', timezone: UTC, durationMinutes: 30}]";

/** RSS of `ncupd daemon`, started with the node flags of its systemd unit, after start and its first check, idle between ticks. */
export async function measureIdleDaemonRss(): Promise<{ afterStartMb: number; afterCheckMb: number }> {
  const bed = await makeBed({ instanceConfig: { windows: CLOSED } });
  const daemon = host.start({ file: process.execPath, args: [...DAEMON_NODE_FLAGS, MAIN, 'daemon', '--config', bed.config], env: { NCUPD_TEST_TICK_MS: '500' } });
  try {
    const socket = join(bed.work, 'control.sock');
    const deadline = Date.now() + 60_000;
    while (!existsSync(socket)) {
      if (Date.now() > deadline) throw new Error('the daemon did not open its control socket within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const afterStartMb = procMemoryMb(daemon.pid!, 'VmRSS') ?? NaN;
    // The first check runs at start; by now it is done and the daemon idles between ticks.
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const afterCheckMb = procMemoryMb(daemon.pid!, 'VmRSS') ?? NaN;
    return { afterStartMb, afterCheckMb };
  } finally {
    await daemon.stop(10_000);
    await bed.close();
  }
}
