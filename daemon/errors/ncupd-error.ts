import { errorCatalog, type ErrorCode } from './catalog.js';

export interface NcupdErrorOptions {
  /** What happened, in this case; the catalog's message is used when absent. */
  detail?: string;
  stage?: string;
  instance?: string;
  cause?: unknown;
  /** Overrides the catalog's hint when the case knows better (for example the exact file to remove). */
  hint?: string;
}

/** An error with identity: callers branch on `code`, operators read `detail` and `hint`. */
export class NcupdError extends Error {
  readonly code: ErrorCode;
  readonly stage: string | undefined;
  readonly instance: string | undefined;
  readonly hint: string;
  readonly retryable: boolean;

  constructor(code: ErrorCode, options: NcupdErrorOptions = {}) {
    const definition = errorCatalog[code];
    super(options.detail ?? definition.message, { cause: options.cause });
    this.name = 'NcupdError';
    this.code = code;
    this.stage = options.stage;
    this.instance = options.instance;
    this.hint = options.hint ?? definition.hint;
    this.retryable = definition.retryable;
  }

  /** A copy that also knows where it happened; errors rise from hosts before the stage is known. */
  within(context: { stage?: string; instance?: string }): NcupdError {
    const copy = new NcupdError(this.code, {
      detail: this.message,
      stage: this.stage ?? context.stage,
      instance: this.instance ?? context.instance,
      cause: this.cause,
      hint: this.hint,
    });
    copy.stack = this.stack;
    return copy;
  }
}

export function isNcupdError(error: unknown, code?: ErrorCode): error is NcupdError {
  return error instanceof NcupdError && (code === undefined || error.code === code);
}
