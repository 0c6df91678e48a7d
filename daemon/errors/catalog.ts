// One catalog of stable error codes (shared/design.md, "Errors"). Tests assert codes, never text;
// docs/errors.md lists every code and a test keeps the two in sync.

export interface ErrorDefinition {
  readonly message: string;
  readonly hint: string;
  /** Whether running the same thing again may succeed without the operator changing anything. */
  readonly retryable: boolean;
}

export const errorCatalog = {
  NCUPD_COMMAND_FAILED: {
    message: 'A command exited with a non-zero status.',
    hint: 'Read the command output in the log (debug level) and fix the cause; the error names the command.',
    retryable: false,
  },
  NCUPD_COMMAND_TIMEOUT: {
    message: 'A command did not finish within its time limit and was stopped.',
    hint: 'Check whether the machine is overloaded or the command waits for input; raise the timeout only if the work is really that slow.',
    retryable: true,
  },
  NCUPD_COMMAND_NOT_FOUND: {
    message: 'A program that ncupd needs is not installed on the host.',
    hint: 'Install the named program on the host (see docs/admin-guide.md, prerequisites).',
    retryable: false,
  },
  NCUPD_COMMAND_ABORTED: {
    message: 'A command was cancelled because ncupd is stopping or the run was cancelled.',
    hint: 'Nothing to fix: run again when ncupd is running.',
    retryable: true,
  },
  NCUPD_USAGE: {
    message: 'The command line is not valid.',
    hint: 'Run `ncupd --help` for the commands and options.',
    retryable: false,
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalog, value);
}
