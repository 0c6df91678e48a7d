import type { RunContext } from './context.js';

/**
 * A resource an undo step cannot run without; rollback waits for it (with backoff) instead of
 * failing. `host` is the instance's host itself: an SSH target whose connection dropped (issue 6).
 */
export type UndoResource = 'database' | 'host';

/**
 * What one kind of undo step does. Actions are idempotent: recovery may run one again after a
 * crash in its middle or just after it, and one that finds its work done (or never needed) returns.
 */
export interface UndoAction {
  readonly kind: string;
  readonly needs?: readonly UndoResource[];
  /** Steps pushed before it rely on it: if it fails, rollback stops there (see UndoStack.unwind). */
  readonly barrier?: boolean;
  run(ctx: RunContext, data: Readonly<Record<string, unknown>>): Promise<void>;
}

/** Reads a string argument of an undo step; a missing one is a bug in the pushing code or a damaged journal. */
export function arg(data: Readonly<Record<string, unknown>>, key: string): string {
  const value = data[key];
  if (typeof value !== 'string' || value === '') throw new Error(`undo step without its "${key}" argument`);
  return value;
}
