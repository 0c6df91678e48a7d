import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatusSource } from '../service/status-model.js';
import { isNcupdError } from '../errors/ncupd-error.js';
import { readBody, sendError, sendJson } from './http-io.js';
import type { StatusServerLog } from './server.js';

/** The token in force now; rejects with a coded error when the token file cannot be used. */
export type TokenCheck = () => Promise<string>;

/**
 * Constant time whatever the input: both sides are hashed first, so neither the content nor the
 * length of the expected token shows in the timing.
 */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const presented = createHash('sha256').update(match?.[1] ?? '').digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(presented, expected) && match !== null;
}

/** Codes of startRun mapped to HTTP; any other code is the daemon's failure (500). */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  NCUPD_LOCKED: 409,
  NCUPD_UNFINISHED_TRANSACTION: 409,
  NCUPD_INSTANCE_UNKNOWN: 404,
};

function parseInstance(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { instance, ...rest } = parsed as Record<string, unknown>;
  if (typeof instance !== 'string' || instance === '' || Object.keys(rest).length > 0) return undefined;
  return instance;
}

/** POST /runs {"instance": name} → 202 {txid}. Authentication comes first: a refused request reads no body and starts nothing. */
export async function handleStartRun(req: IncomingMessage, res: ServerResponse,
  context: { readonly source: StatusSource; readonly currentToken: TokenCheck; readonly log: StatusServerLog }): Promise<void> {
  const remote = req.socket.remoteAddress;
  let token: string;
  try {
    token = await context.currentToken();
  } catch (error) {
    context.log.error('status endpoint token file unusable', { code: isNcupdError(error) ? error.code : undefined, error: error instanceof Error ? error.message : String(error) });
    return sendError(res, 503, 'token file unusable, see the daemon log', undefined, { connection: 'close' });
  }
  if (!bearerMatches(req.headers.authorization, token)) {
    context.log.warn('status endpoint refused a request without a valid token', { path: '/runs', remote });
    return sendError(res, 401, 'a valid bearer token is required', undefined, { 'www-authenticate': 'Bearer realm="ncupd"', connection: 'close' });
  }
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    return sendError(res, 415, 'expected content-type application/json', undefined, { connection: 'close' });
  }
  const body = await readBody(req);
  if (body === undefined) return sendError(res, 413, 'request body too large', undefined, { connection: 'close' });
  const instance = parseInstance(body);
  if (instance === undefined) return sendError(res, 400, 'expected a JSON body {"instance": "<name>"}');

  let txid: string;
  try {
    ({ txid } = await context.source.startRun(instance));
  } catch (error) {
    const status = isNcupdError(error) ? STATUS_BY_CODE[error.code] : undefined;
    if (status === undefined || !isNcupdError(error)) throw error;
    context.log.info('status endpoint could not start a run', { instance, code: error.code, remote });
    // The caller is authenticated: the detail (which transaction holds the lock) helps it.
    return sendError(res, status, error.message, error.code);
  }
  context.log.info('run started over HTTP', { instance, txid, remote });
  sendJson(res, 202, { txid });
}
