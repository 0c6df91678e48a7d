// ssh2 hands over an exec channel from inside its packet parser, and a fast command's exit status
// can be in the same chunk: it is emitted before any code after an await runs. The exit listener
// must already be there, or a finished command looks like a lost connection (seen under load in
// the SSH transaction matrix: `stat`, `find`, `chmod` reported NCUPD_SSH_CONNECTION_LOST).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { execRemote } from '../../../../daemon/hosts/ssh/exec.js';

type Client = Parameters<typeof execRemote>[0];

/** A channel whose whole life (output, exit status, close) arrives in one chunk, as ssh2 would parse it. */
function oneChunkClient(exit: (channel: EventEmitter) => void): Client {
  return {
    exec(_line: string, callback: (error: Error | undefined, channel: unknown) => void) {
      const channel = Object.assign(new EventEmitter(), { stderr: new EventEmitter(), end: () => undefined });
      callback(undefined, channel);
      // Still inside the parser: the exit status comes now; output and close follow as stream events do.
      exit(channel);
      setImmediate(() => {
        channel.emit('data', Buffer.from('4242\nout\n'));
        channel.emit('close');
      });
      return this;
    },
  } as unknown as Client;
}

describe('ssh host: a command whose exit status arrives with the channel', () => {
  it('reports its exit code, not a lost connection', async () => {
    const run = await execRemote(oneChunkClient((channel) => channel.emit('exit', 3)), 'true', { kill: async () => undefined });
    const outcome = await run.done;
    assert.deepEqual([outcome.exitCode, outcome.connectionLost, outcome.stdout.toString()], [3, false, 'out\n']);
  });

  it('reports a signal the same way', async () => {
    const run = await execRemote(oneChunkClient((channel) => channel.emit('exit', null, 'KILL')), 'true', { kill: async () => undefined });
    const outcome = await run.done;
    assert.deepEqual([outcome.exitCode, outcome.signal, outcome.connectionLost], [undefined, 'SIGKILL', false]);
  });
});
