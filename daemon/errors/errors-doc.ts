import { errorCatalog, type ErrorCode } from './catalog.js';
import { EXIT_CODES, exitCodeFor } from './exit-codes.js';

/** docs/errors.md, generated from the catalog (`npm run docs`); a test keeps the file equal to it. */
export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Every error ncupd reports carries one of these codes, the stage it happened in, the instance and',
    'the cause. The CLI prints the code, the message and the hint. Generated from',
    '`daemon/errors/catalog.ts` by `npm run docs`; do not edit by hand.',
    '',
    '## Exit codes',
    '',
    '| exit | meaning |',
    '|---|---|',
    '| 0 | success |',
    ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`),
    '',
  ];
  for (const [code, definition] of Object.entries(errorCatalog)) {
    lines.push(`## ${code}`, '', definition.message, '', `Hint: ${definition.hint}`, '', `Exit code: ${exitCodeFor(code as ErrorCode)}.`, '',
      definition.retryable ? 'Retry: safe; the same run may succeed later.' : 'Retry: not by itself; something must change first.', '');
  }
  return lines.join('\n');
}
