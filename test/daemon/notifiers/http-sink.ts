// A real HTTP server on 127.0.0.1 that records what it receives and answers as told.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpSink {
  readonly url: string;
  readonly received: Received[];
  /** How the next requests are answered (default: 200 `{}`); `hang` never answers. */
  answer: (request: Received, response: ServerResponse) => void | 'hang';
  close(): Promise<void>;
}

export async function startHttpSink(): Promise<HttpSink> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const sink: HttpSink = {
    url: '', received,
    answer: (_request, response) => void response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'),
    close: () => new Promise((resolve) => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      if (sink.answer(entry, response) === 'hang') hanging.add(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(sink, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}
