import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { NcupdError } from '../errors/ncupd-error.js';
import type { ControlReply, ControlRequest } from './protocol.js';

/** Is a daemon answering on the socket? (A leftover file of a dead daemon does not count.) */
export async function daemonAnswers(path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Sends one request and hands every reply to `onReply` until the daemon says `end`. */
export function askDaemon(path: string, request: ControlRequest, onReply: (reply: ControlReply) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    let ended = false;
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf('\n'); newline !== -1; newline = buffer.indexOf('\n')) {
        const reply = JSON.parse(buffer.slice(0, newline)) as ControlReply;
        buffer = buffer.slice(newline + 1);
        if (reply.type === 'end') ended = true;
        else onReply(reply);
      }
    });
    socket.once('error', (error) => reject(new NcupdError('NCUPD_DAEMON_UNREACHABLE', { detail: `control socket ${path}: ${error.message}`, cause: error })));
    socket.once('close', () => (ended ? resolve() : reject(new NcupdError('NCUPD_DAEMON_UNREACHABLE', { detail: `the daemon closed ${path} before answering completely` }))));
  });
}
