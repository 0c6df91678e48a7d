import type { ProgressEvent } from '../engine/context.js';
import type { RunSummary } from '../engine/journal-types.js';
import type { DaemonStatus } from '../service/status-model.js';

/** One request per connection, one JSON line; answers are JSON lines until `end` (the control socket's protocol). */
export type ControlRequest =
  | { readonly cmd: 'status' }
  | { readonly cmd: 'now'; readonly instance?: string }
  | { readonly cmd: 'pause' | 'resume'; readonly instance?: string }
  | { readonly cmd: 'check' };

export type ControlReply =
  | { readonly type: 'status'; readonly status: DaemonStatus }
  | { readonly type: 'started'; readonly instance: string; readonly txid: string }
  | { readonly type: 'event'; readonly instance: string; readonly event: ProgressEvent }
  | { readonly type: 'summary'; readonly summary: RunSummary }
  | { readonly type: 'ok'; readonly message: string }
  | { readonly type: 'error'; readonly error: { readonly code: string; readonly message: string; readonly hint?: string } }
  | { readonly type: 'end' };

/** Largest request line accepted. */
export const MAX_REQUEST_BYTES = 4096;
