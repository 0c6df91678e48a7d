// One connection per host, opened on first use and reused by every command; after a drop (the
// server went away, keepalives unanswered) the next command connects again. Channels are capped
// below OpenSSH's MaxSessions (10) so parallel commands queue instead of being refused.
import type { Client } from 'ssh2';
import { openConnection } from './connect.js';
import type { SshTarget } from './target.js';

const MAX_CHANNELS = 8;

/** Opening a channel (exec or SFTP) failed: nothing was started on the target. */
export class ChannelOpenError extends Error {}

export interface ConnectionPool {
  /** Runs `use` with the live connection, holding one of the channel slots. */
  withClient<T>(use: (client: Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function connectionPool(target: SshTarget): ConnectionPool {
  let current: Promise<Client> | undefined;
  let active = 0;
  const waiting: (() => void)[] = [];

  const connect = (): Promise<Client> => {
    if (current) return current;
    const opening = openConnection(target).then((client) => {
      const forget = () => {
        if (current === opening) current = undefined;
      };
      client.on('close', forget);
      // Errors after the handshake (a reset socket) end the connection; the next command reconnects.
      client.on('error', forget);
      return client;
    });
    current = opening;
    opening.catch(() => {
      if (current === opening) current = undefined;
    });
    return opening;
  };

  const discard = (client: Client) => {
    client.end();
    current = undefined;
  };

  const acquire = async (): Promise<void> => {
    if (active < MAX_CHANNELS) {
      active += 1;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };

  return {
    async withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
      await acquire();
      try {
        const client = await connect();
        try {
          return await use(client);
        } catch (error) {
          // A connection that died unnoticed (no keepalive answer yet) fails when the channel
          // opens, before anything ran on the target: that one case is retried on a new connection.
          if (!(error instanceof ChannelOpenError)) throw error;
          discard(client);
          return await use(await connect());
        }
      } finally {
        release();
      }
    },
    async close(): Promise<void> {
      const open = current;
      current = undefined;
      if (!open) return;
      const client = await open.catch(() => undefined);
      if (!client) return;
      await new Promise<void>((resolve) => {
        client.once('close', () => resolve());
        client.end();
      });
    },
  };
}
