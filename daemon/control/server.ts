// The control socket: a Unix stream socket (root, mode 0660, group = daemon.operatorGroup) through
// which the CLI asks the running daemon for status, `now`, pause and resume. Who may connect is
// decided by the file's owner and mode; nothing here needs a token.
import { chmod, chown, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import { isNcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import type { RunningDaemon } from '../service/daemon.js';
import { MAX_REQUEST_BYTES, type ControlReply, type ControlRequest } from './protocol.js';

function send(socket: Socket, reply: ControlReply): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
}

function errorReply(error: unknown): ControlReply {
  return isNcupdError(error)
    ? { type: 'error', error: { code: error.code, message: error.message, hint: error.hint } }
    : { type: 'error', error: { code: 'NCUPD_INTERNAL', message: error instanceof Error ? error.message : String(error) } };
}

async function handle(daemon: RunningDaemon, request: ControlRequest, socket: Socket): Promise<void> {
  switch (request.cmd) {
    case 'status':
      send(socket, { type: 'status', status: await daemon.status() });
      return;
    case 'check':
      await daemon.checkNow();
      send(socket, { type: 'ok', message: 'checked' });
      return;
    case 'pause':
    case 'resume': {
      const names = await daemon.setPaused(request.instance, request.cmd === 'pause', 'control socket');
      send(socket, { type: 'ok', message: `${names.join(', ')}: ${request.cmd === 'pause' ? 'paused' : 'resumed'}` });
      return;
    }
    case 'now': {
      const names = request.instance ? [request.instance] : daemon.config().instances.map((i) => i.name);
      for (const name of names) {
        // The client that asked follows the run; a dropped client does not stop it (the run is the daemon's).
        const { txid, done } = await daemon.startTransaction(name, 'ncupd now', (event) => send(socket, { type: 'event', instance: name, event }));
        send(socket, { type: 'started', instance: name, txid });
        send(socket, { type: 'summary', summary: await done });
      }
      return;
    }
  }
}

/** Refuses to take over a socket another daemon still answers on; removes a stale one. */
async function claimPath(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another ncupd daemon answers on ${path}`);
  await unlink(path).catch(() => undefined);
}

export async function startControlServer(daemon: RunningDaemon, host: Host, path: string, operatorGroup: string | undefined): Promise<Server> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await claimPath(path);
  const server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      if (buffer === undefined) return;
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) {
        send(socket, { type: 'error', error: { code: 'NCUPD_USAGE', message: 'request too long' } });
        socket.end();
        return;
      }
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      const line = buffer.slice(0, newline);
      buffer = '';
      socket.pause();
      let request: ControlRequest;
      try {
        request = JSON.parse(line) as ControlRequest;
        if (!['status', 'now', 'pause', 'resume', 'check'].includes(request.cmd)) throw new Error(`unknown command ${String(request.cmd)}`);
      } catch (error) {
        send(socket, errorReply(error));
        send(socket, { type: 'end' });
        socket.end();
        return;
      }
      handle(daemon, request, socket).catch((error: unknown) => send(socket, errorReply(error))).finally(() => {
        send(socket, { type: 'end' });
        socket.end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o660);
  if (operatorGroup) {
    const gid = Number((await host.run({ file: 'getent', args: ['group', operatorGroup], reject: false })).stdout.split(':')[2]);
    if (Number.isInteger(gid)) await chown(path, userInfo().uid, gid);
  }
  return server;
}
