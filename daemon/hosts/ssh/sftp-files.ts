// Files on the target over SFTP (issue 6), for a root login. The file is written under a
// temporary name created with its final mode (and chmod-ed again, as the umask may have narrowed
// or the server widened it) before any byte, then renamed over the target: a reader sees the old
// file or the whole new one, and a secret is never readable by others, not even half-written.
import { randomBytes } from 'node:crypto';
import { basename, dirname, posix } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { ChannelOpenError } from './connection-pool.js';

function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))))
    .catch((error: unknown) => {
      throw new ChannelOpenError(`cannot open an SFTP session: ${(error as Error).message}`, { cause: error });
    });
}

function call<T>(run: (callback: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));
}

async function withSftp<T>(client: Client, use: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  const sftp = await openSftp(client);
  try {
    return await use(sftp);
  } finally {
    sftp.end();
  }
}

const CHUNK = 32 * 1024;
const IN_FLIGHT = 32;

/**
 * Writes in 32 KiB requests with up to 32 outstanding (as ssh2's fastPut does): one request at a
 * time costs a round trip per chunk, minutes for a release archive over a WAN link.
 */
async function writeAll(sftp: SFTPWrapper, handle: Buffer, data: Buffer): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < data.length) {
      const offset = next;
      next += CHUNK;
      const length = Math.min(CHUNK, data.length - offset);
      await call((done) => sftp.write(handle, data, offset, length, offset, done));
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(data.length / CHUNK)) }, worker));
}

export function sftpWriteFile(client: Client, path: string, data: Buffer, mode: number): Promise<void> {
  const temporary = posix.join(dirname(path), `.${basename(path)}.ncupd-${randomBytes(6).toString('hex')}`);
  return withSftp(client, async (sftp) => {
    const handle = await call<Buffer>((done) => sftp.open(temporary, 'wx', { mode }, done));
    try {
      await call((done) => sftp.fchmod(handle, mode, done));
      await writeAll(sftp, handle, data);
      await call((done) => sftp.ext_openssh_fsync(handle, done));
    } catch (error) {
      await call((done) => sftp.close(handle, done)).catch(() => undefined);
      await call((done) => sftp.unlink(temporary, done)).catch(() => undefined);
      throw error;
    }
    await call((done) => sftp.close(handle, done));
    try {
      await call((done) => sftp.ext_openssh_rename(temporary, path, done));
    } catch (error) {
      await call((done) => sftp.unlink(temporary, done)).catch(() => undefined);
      throw error;
    }
  });
}

export function sftpReadFile(client: Client, path: string): Promise<Buffer> {
  return withSftp(client, (sftp) => call<Buffer>((done) => sftp.readFile(path, done)));
}
