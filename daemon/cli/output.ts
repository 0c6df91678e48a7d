import { reportLines } from '../snapshots/data/detect.js';
import type { CheckResult } from '../releases/check-release.js';
import type { VerifiedArchive } from '../releases/fetch-release.js';
import type { DownloadProgress } from '../releases/download.js';

/** The machine-readable form of a check: what was read, what was offered, what policy says. Never secrets. */
export function checkJson(result: CheckResult): Record<string, unknown> {
  const { instance, offer, verdict } = result;
  return {
    instance: instance.name,
    installed: { version: instance.installedVersion, code: instance.code.version, versionString: instance.code.versionString, channel: instance.channel, php: instance.php.version, maintenance: instance.maintenance },
    installType: instance.installType.type,
    offer: offer ?? null,
    decision: verdict.decision,
    kind: verdict.kind ?? null,
    reason: verdict.reason,
    warnings: verdict.warnings,
    appsDisabledByTarget: verdict.appsDisabledByTarget.map((app) => ({ id: app.id, max: app.max })),
    notices: result.notices,
    dataSnapshot: result.dataSnapshot ?? null,
  };
}

export function checkLines(result: CheckResult): string[] {
  const { instance, offer, verdict } = result;
  const lines = [
    `${instance.name}: Nextcloud ${instance.code.versionString} (${instance.installedVersion}), PHP ${instance.php.version}, channel ${instance.channel}`,
    `  offered: ${offer ? `${offer.versionString} (${offer.version})${offer.eol ? ', end of life' : ''}` : 'nothing'}`,
    `  decision: ${verdict.decision}: ${verdict.reason}`,
  ];
  for (const warning of verdict.warnings) lines.push(`  warning: ${warning}`);
  for (const notice of result.notices) lines.push(`  notice: ${notice}`);
  if (result.dataSnapshot) lines.push(...reportLines(result.dataSnapshot));
  return lines;
}

export function fetchLines(archive: VerifiedArchive): string[] {
  return [
    `  archive: ${archive.path}${archive.fromCache ? ' (from cache)' : ''}`,
    `  sha512: ${archive.sha512}`,
    `  size: ${archive.size} bytes, ${archive.entries} entries, ${archive.expandedBytes} bytes unpacked`,
    ...archive.checks.map((check) => `  ${check.outcome === 'passed' ? 'ok' : 'skipped'}: ${check.detail}`),
  ];
}

/** A progress bar on a terminal, nothing otherwise (logs get the summary line instead). */
export function progressPrinter(stream: NodeJS.WriteStream): ((p: DownloadProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.received !== p.total) return;
    last = now;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const share = p.total ? p.received / p.total : 0;
    const bar = p.total ? `[${'#'.repeat(Math.round(share * 30)).padEnd(30, '.')}] ${Math.round(share * 100)}% ` : '';
    stream.write(`\r\x1b[2K  downloading ${bar}${mb(p.received)}${p.total ? `/${mb(p.total)}` : ''} MB`);
    if (p.total && p.received >= p.total) stream.write('\n');
  };
}
