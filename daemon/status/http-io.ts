import type { IncomingMessage, ServerResponse } from 'node:http';

/** POST /runs carries one instance name; anything near this size is not a real client. */
export const MAX_BODY_BYTES = 16 * 1024;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Inline CSS only; no script, no frame, no form, no external asset. */
export const PAGE_CSP = 'default-src \'none\'; style-src \'unsafe-inline\'; base-uri \'none\'; form-action \'none\'; frame-ancestors \'none\'';

export function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, headers);
}

/** Error bodies: a short message and, when the daemon gave one, its catalog code. Never a stack. */
export function sendError(res: ServerResponse, status: number, message: string, code?: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, code === undefined ? { error: message } : { error: message, code }, headers);
}

/**
 * The request body, or undefined past `MAX_BODY_BYTES` (by its announced length or by what
 * arrives). Reading stops without destroying the request, so the caller can still answer 413.
 */
export function readBody(req: IncomingMessage): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? '0') > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd).pause();
      resolve(undefined);
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}
