import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StatusSource } from '../service/status-model.js';
import { isNcupdError, NcupdError } from '../errors/ncupd-error.js';
import { PAGE_CSP, send, sendError } from './http-io.js';
import { renderStatusPage } from './page.js';
import { handleStartRun, type TokenCheck } from './runs.js';
import { renderStatusJson } from './status-json.js';
import { readToken } from './token.js';

/** Fixed messages with structured fields (winston's logger fits). */
export interface StatusServerLog {
  info(message: string, fields?: Record<string, unknown>): unknown;
  warn(message: string, fields?: Record<string, unknown>): unknown;
  error(message: string, fields?: Record<string, unknown>): unknown;
}

export type StatusServerOptions = {
  readonly source: StatusSource;
  /** Address to bind; loopback unless the operator opens it up. */
  readonly listen?: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly log?: StatusServerLog;
} & (
  /** Read at start (a bad file fails the start) and again for each state-changing request. */
  | { readonly tokenFile: string; readonly token?: undefined }
  | { readonly token: string; readonly tokenFile?: undefined }
);

export interface StatusServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
type Method = 'GET' | 'POST';

const silentLog: StatusServerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The daemon's HTTP endpoint (issue 7): `/` page, `/status` JSON, `/metrics` for Prometheus,
 * `/healthz`, and `POST /runs`, the only state-changing route, behind the bearer token.
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { source } = options;
  const log = options.log ?? silentLog;
  const { tokenFile } = options;
  // The file is read again on each POST: a rotated token takes effect without a restart, and a
  // file that has become readable by others is refused at once. POSTs are rare; the read is cheap.
  const currentToken: TokenCheck = tokenFile === undefined ? () => Promise.resolve(options.token) : () => readToken(tokenFile);
  if (tokenFile !== undefined) await readToken(tokenFile);
  else if (!options.token) throw new NcupdError('NCUPD_TOKEN_MISSING', { detail: 'the status endpoint was given an empty token' });

  const routes: Record<string, Partial<Record<Method, Handler>>> = {
    '/': {
      GET: async (_req, res) => send(res, 200, 'text/html; charset=utf-8', renderStatusPage(await source.status()), { 'content-security-policy': PAGE_CSP }),
    },
    '/status': {
      GET: async (_req, res) => send(res, 200, 'application/json; charset=utf-8', renderStatusJson(await source.status())),
    },
    '/metrics': {
      GET: async (_req, res) => {
        // prom-client loads with the first scrape: an idle daemon nobody scrapes stays small (docs/performance.md).
        const { renderMetrics } = await import('./metrics.js');
        const metrics = await renderMetrics(await source.status());
        send(res, 200, metrics.contentType, metrics.body);
      },
    },
    '/healthz': {
      GET: async (_req, res) => {
        const health = await source.health().catch((error: unknown) => {
          log.error('health check threw', { error: error instanceof Error ? error.message : String(error) });
          return { ok: false, detail: 'health check failed' };
        });
        send(res, health.ok ? 200 : 503, 'text/plain; charset=utf-8', health.ok ? 'ok\n' : `unhealthy: ${health.detail}\n`);
      },
    },
    '/runs': { POST: (req, res) => handleStartRun(req, res, { source, currentToken, log }) },
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return sendError(res, 404, 'no such route');
    // HEAD is GET without a body; node drops the body itself.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
    if (!handler) {
      const allowed = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
      return sendError(res, 405, 'method not allowed', undefined, { allow: allowed });
    }
    handler(req, res).catch((error: unknown) => {
      // The daemon's own failure: log it whole, answer with its code only (no message, no stack).
      log.error('status endpoint request failed', { path, error: error instanceof Error ? error.message : String(error) });
      if (res.headersSent) return res.destroy();
      sendError(res, 500, 'internal error', isNcupdError(error) ? error.code : undefined);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.listen ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A server listening on a host and port (not a pipe) always has an AddressInfo.
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info('status endpoint listening', { address: address.address, port: address.port });
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}
