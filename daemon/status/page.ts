import type { DaemonStatus, InstanceStatus } from '../service/status-model.js';
import { describeInstanceState } from './instance-state.js';

/** Every value from the daemon passes through here: instance names, versions and messages can hold markup. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[c] ?? c);
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** An ISO time as "3 h ago" / "in 2 h", the exact time in the tooltip. */
function when(iso: string | undefined, now: number, missing = 'never'): string {
  if (iso === undefined) return `<span class="none">${missing}</span>`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeHtml(iso);
  const delta = (ms - now) / 1000;
  const text = delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${text}</time>`;
}

const row = (label: string, html: string): string => `<tr><th>${label}</th><td>${html}</td></tr>`;

function renderLastRun(instance: InstanceStatus, now: number): string {
  const run = instance.lastRun;
  if (!run) return '<span class="none">none</span>';
  const versions = run.to === undefined ? escapeHtml(run.from) : `${escapeHtml(run.from)} → ${escapeHtml(run.to)}`;
  const failure = run.errorCode === undefined ? ''
    : `<div class="error">${escapeHtml(run.errorCode)}${run.failedStage === undefined ? '' : ` in ${escapeHtml(run.failedStage)}`}${run.message === undefined ? '' : `: ${escapeHtml(run.message)}`}</div>`;
  const window = run.windowMs === undefined ? '' : `, maintenance ${formatDuration(run.windowMs / 1000)}`;
  return `${escapeHtml(run.result)} (${versions}) ${when(run.endedAt, now)}${window}<div class="txid">${escapeHtml(run.txid)}</div>${failure}`;
}

function renderInstance(instance: InstanceStatus, now: number): string {
  const state = describeInstanceState(instance);
  const available = instance.available === undefined || instance.available === instance.installedVersion ? ''
    : ` → <strong>${escapeHtml(instance.available)}</strong> offered`;
  const maintenance = instance.maintenance === undefined ? '<span class="none">unknown</span>'
    : instance.maintenance.on ? `<strong>on</strong> since ${when(instance.maintenance.since, now)}` : 'off';
  const snapshot = instance.lastSnapshot === undefined ? '<span class="none">none</span>'
    : `${formatDuration(instance.lastSnapshot.ageSeconds)} old, ${formatBytes(instance.lastSnapshot.sizeBytes)}`;
  const nextWindow = instance.windowOpen ? '<strong>open now</strong>' : when(instance.nextWindow, now, 'none scheduled');
  const badges = [
    instance.paused ? '<span class="badge paused">paused</span>' : '',
    instance.openTransactions > 0 ? `<span class="badge open">${instance.openTransactions} open transaction(s)</span>` : '',
  ].join('');
  return `<section class="instance level-${state.level}" data-instance="${escapeHtml(instance.name)}">
<h2><span class="name">${escapeHtml(instance.name)}</span> <span class="state">${escapeHtml(state.label)}</span>${badges}</h2>
<div class="where">${escapeHtml(instance.host)}:${escapeHtml(instance.path)}</div>
<table>
${row('version', `<strong class="installed">${escapeHtml(instance.installedVersion ?? 'unknown')}</strong>${available}`)}
${row('policy', `${escapeHtml(instance.decision)}${instance.reason ? `: ${escapeHtml(instance.reason)}` : ''}`)}
${row('last check', `${when(instance.lastCheckAt, now)}${instance.lastCheckError === undefined ? '' : `<div class="error">${escapeHtml(instance.lastCheckError)}</div>`}`)}
${row('last run', renderLastRun(instance, now))}
${row('next window', nextWindow)}
${row('maintenance', maintenance)}
${row('snapshot', snapshot)}
${row('history', `${instance.updateCount} updated, ${instance.rollbackCount} rolled back`)}
</table>
</section>`;
}

const STYLE = `
body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;background:#f6f7f9;color:#1d2329}
header{margin-bottom:1rem}header h1{font-size:1.4rem;margin:0}header p{margin:.2rem 0;color:#555}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:1rem}
.instance{background:#fff;border-radius:8px;border-left:10px solid #9aa3ad;padding:.8rem 1rem;box-shadow:0 1px 3px #0002}
.instance h2{font-size:1.15rem;margin:0 0 .2rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.state{font-size:.85rem;padding:.1rem .55rem;border-radius:1rem;color:#fff;background:#6b7580}
.level-ok{border-left-color:#1e9e4a}.level-ok .state{background:#1e9e4a}
.level-attention{border-left-color:#e0a100}.level-attention .state{background:#e0a100;color:#1d2329}
.level-failed{border-left-color:#d0302f}.level-failed .state{background:#d0302f}
.badge{font-size:.75rem;padding:.05rem .45rem;border-radius:1rem;border:1px solid #e0a100;color:#7a5800}
.badge.open{border-color:#d0302f;color:#a01f1e}
.where,.txid{color:#66707a;font-size:.8rem;font-family:ui-monospace,monospace;overflow-wrap:anywhere}
table{border-collapse:collapse;margin-top:.4rem;width:100%}th{text-align:left;font-weight:500;color:#66707a;padding:.15rem .8rem .15rem 0;vertical-align:top;white-space:nowrap}
td{padding:.15rem 0;overflow-wrap:anywhere}.none{color:#9aa3ad}.error{color:#a01f1e;font-size:.85rem;white-space:pre-wrap}
.banner{background:#d0302f;color:#fff;padding:.5rem .8rem;border-radius:6px;margin-bottom:1rem}
`;

/** The status page: self-contained (inline CSS, no script, no external asset), refreshed every 30 s. */
export function renderStatusPage(status: DaemonStatus, now = Date.now()): string {
  const banner = status.configError === undefined ? ''
    : `<div class="banner">Configuration reload failed, the previous configuration stays in force: ${escapeHtml(status.configError)}</div>`;
  const instances = status.instances.length === 0 ? '<p>No instance is configured.</p>'
    : `<div class="grid">${status.instances.map((i) => renderInstance(i, now)).join('\n')}</div>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>ncupd status</title>
<style>${STYLE}</style></head>
<body><header><h1>ncupd: ${status.instances.length} instance(s)</h1>
<p>daemon ${escapeHtml(status.version)}, pid ${status.pid}, started ${when(status.startedAt, now)}; configuration ${escapeHtml(status.configPath)} loaded ${when(status.configLoadedAt, now)}; page of ${escapeHtml(new Date(now).toISOString())}</p></header>
${banner}${instances}
</body></html>
`;
}
