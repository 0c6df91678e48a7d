import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedArchive {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves exactly one verified file under its release name on loopback, for the updater's
 * `--url` (it downloads over HTTP only, and wants a name matching `*-*.*`; contract 9).
 * Nothing else is served: any other path answers 404.
 */
export async function serveArchive(path: string, name: string): Promise<ServedArchive> {
  const size = statSync(path).size;
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== `/${encodeURIComponent(name)}`) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': size });
    // A read error ends this response (the updater then fails its download step); it must not crash ncupd.
    createReadStream(path).on('error', () => response.destroy()).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
