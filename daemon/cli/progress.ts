import type { ProgressEvent } from '../engine/context.js';
import type { RunSummary } from '../engine/journal-types.js';

/** Plain progress lines (a terminal and a log read the same): one line per stage and rollback step. */
export function progressLine(event: ProgressEvent): string | undefined {
  switch (event.type) {
    case 'stage-start':
    case 'download':
      return undefined;
    case 'stage-end':
      return `  ${event.status === 'done' ? '✔' : event.status === 'failed' ? '✘' : '-'} ${event.stage.padEnd(16)} ${String(event.ms).padStart(7)} ms${event.detail ? `  ${event.detail.split('\n')[0]}` : ''}`;
    case 'note':
      return `    ${event.message}`;
    case 'rollback':
      return event.status === 'start' ? undefined : `  ${event.status === 'done' ? '↺' : '✘'} rollback: ${event.step}${event.detail ? `: ${event.detail}` : ''}`;
    case 'waiting':
      return `  … waiting for ${event.resource} (attempt ${event.attempt}, next try in ${Math.round(event.retryInMs / 1000)} s; maintenance mode stays on): ${event.detail.split('\n')[0]}`;
    case 'alert':
      return `  ALERT: ${event.message}`;
  }
}

/** The one summary line of a run (design.md, "Observability"). */
export function summaryLine(summary: RunSummary): string {
  const versions = summary.to ? `${summary.from} -> ${summary.to}` : summary.from;
  const timings = summary.stages.map((s) => `${s.name}=${s.ms}ms`).join(' ');
  const window = summary.windowMs === undefined ? '' : ` window=${(summary.windowMs / 1000).toFixed(2)}s`;
  const why = summary.errorCode ? ` failed-stage=${summary.failedStage} code=${summary.errorCode}` : '';
  const result = summary.kind === 'restore' && summary.result === 'updated' ? 'restored' : summary.result;
  return `${summary.instance}: ${result} ${versions}${window}${why} [${timings}] tx=${summary.txid}`;
}

export function explain(summary: RunSummary): string[] {
  const lines: string[] = [];
  if (summary.message) lines.push(`  ${summary.result === 'updated' ? 'note' : 'reason'}: ${summary.message.split('\n').join('\n    ')}`);
  if (summary.result === 'rolled-back') lines.push('  the instance is back on its old version: code, config and database as before; maintenance mode is off');
  if (summary.result === 'rolled-back' && summary.recovered) lines.push(`  recovered: the transaction had been interrupted at ${summary.recovered}`);
  if (summary.result === 'updated' && summary.recovered) lines.push(`  recovered: the new version had passed its checks before the interruption (at ${summary.recovered}); maintenance mode is off`);
  if (summary.result === 'rollback-failed') {
    lines.push('  ROLLBACK INCOMPLETE: the instance is in maintenance mode; these steps were not undone:');
    for (const item of summary.notUndone ?? []) lines.push(`    - ${item}`);
    lines.push(`  the transaction stays open and the snapshot is kept: fix what is named above, then run \`ncupd recover --instance ${summary.instance}\` (the daemon retries by itself); docs/admin-guide.md, "When a rollback fails"`);
  }
  if (summary.result === 'failed') lines.push('  nothing on the instance was changed');
  return lines;
}

/** Whole means: on the old version or the new, maintenance off, the transaction closed. */
export function isWhole(summary: RunSummary): boolean {
  return summary.result !== 'rollback-failed';
}
