import type { BenchResults } from './results.js';

function table(title: string, header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** The terminal report: the same figures as bench/results.json, as tables. */
export function printReport(r: BenchResults): void {
  const w = r.workload;
  const out: string[] = [];
  out.push(`ncupd benchmark ${r.generatedAt} (${r.quick ? 'quick' : 'full'}, ${r.repetitions} repetition(s), medians): ${w.files} files, ${w.unpacked_mb} MB unpacked, zip ${w.zip_mb} MB, ${w.rows.toLocaleString('en')} rows, ${w.from} -> ${w.to}; ${r.machine.cpus} CPUs, Node ${r.machine.node}`);
  out.push(table('Strategies on SQLite, same tree, same run (seconds)', ['', 'archive (ncupd)', 'updater approach', 'ratio'], [
    ['file work in the window', r.window_file_work_s, r.updater_window_file_work_s, `${(r.updater_window_file_work_s / r.window_file_work_s).toFixed(0)}x`],
    ['whole window', r.databases.sqlite3?.window_s ?? '-', r.updater_window_s, ''],
    ['code rollback', r.code_rollback_s, r.updater_code_rollback_s, `${(r.updater_code_rollback_s / r.code_rollback_s).toFixed(0)}x`],
    ['total run', r.total_s, r.updater_total_s, ''],
  ]));
  out.push(table('Maintenance window by database, archive strategy (seconds; snapshot in MB)', ['database', 'window', 'db snapshot', 'file work', 'occ upgrade', 'checks', 'rollback', 'db restore', 'snapshot MB'],
    Object.entries(r.databases).map(([db, f]) => [db, f.window_s, f.db_snapshot_s, f.file_work_s, f.upgrade_s, f.checks_s, f.rollback_s, f.db_restore_s, f.snapshot_mb])));
  out.push(table('Preparation and verification', ['', 'ncupd', 'reference', 'ratio'], [
    ['online preparation vs bare unzip (s)', r.prepare_s, r.unzip_s, `${(r.prepare_s / r.unzip_s).toFixed(2)}x`],
    ['verify vs sha512sum (MB/s)', r.verify_mb_s, r.sha512sum_mb_s, `${(r.verify_mb_s / r.sha512sum_mb_s).toFixed(2)}x`],
  ]));
  out.push(table('Memory (MB)', ['', 'RSS'], [['ncupd daemon idle, after its first check', r.idle_rss_mb], ['ncupd daemon right after start', r.idle_rss_after_start_mb], ['ncupd now, peak', r.peak_rss_mb]]));
  if (r.data_snapshots) {
    const d = r.data_snapshots;
    out.push(table(`Data snapshots of a data directory of ${d.files.toLocaleString('en')} files, ${d.data_mb} MB (seconds)`, ['method', 'filesystem', 'take', 'restore', 'remove', 'written MB'],
      Object.entries(d.methods).map(([method, f]) => (typeof f === 'string' ? [method, f, '', '', '', ''] : [method, f.filesystem, f.take_s.toFixed(3), f.restore_s.toFixed(3), f.remove_s.toFixed(3), f.written_mb.toFixed(1)]))));
  }
  if (typeof r.ssh_fleet === 'string') out.push(`\nSSH fleet: ${r.ssh_fleet}`);
  else if (r.ssh_fleet) {
    const f = r.ssh_fleet;
    out.push(table(`ncupd check over ${f.instances} instances on ${f.hosts} SSH hosts (login ${f.login})`, ['parallel', 'wall s', 's per instance'],
      Object.keys(f.wall_s).map((p) => [p, f.wall_s[p]!, f.seconds_per_instance[p]!])), `speedup over serial: ${f.speedup}x`);
  }
  out.push(table('Targets (issue 8)', ['', 'target', 'measured', 'met'], r.targets.map((t) => [t.name, t.target, t.value, t.met ? 'yes' : 'NO'])));
  process.stdout.write(out.join('\n') + '\n');
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

/** The figures section of docs/performance.md, from one run's results. */
export function figuresMarkdown(r: BenchResults): string {
  const w = r.workload;
  const lines = [
    `From \`bench/results.json\` of ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC (${r.quick ? 'quick' : 'full'} run, ${r.repetitions} repetition(s) on SQLite, medians; ${r.machine.cpus} CPUs, Node ${r.machine.node}): ${w.files.toLocaleString('en')} files, ${w.unpacked_mb} MB unpacked, ${w.zip_mb} MB zip, ${w.rows.toLocaleString('en')} rows, ${w.from} → ${w.to}.`,
    '',
    '**The two approaches on the same tree, same run (SQLite)**',
    '',
    row(['', 'archive (ncupd)', 'updater approach', 'ratio']), row(['---', '---:', '---:', '---:']),
    row(['file work in the window (s)', r.window_file_work_s, r.updater_window_file_work_s, `${(r.updater_window_file_work_s / r.window_file_work_s).toFixed(0)}×`]),
    row(['whole window (s)', r.databases.sqlite3?.window_s ?? '-', r.updater_window_s, '']),
    row(['code rollback (s)', r.code_rollback_s, r.updater_code_rollback_s, '']),
    row(['whole run (s)', r.total_s, r.updater_total_s, '']),
    '',
    '**The window by database (archive strategy, seconds; snapshot on disk in MB)**',
    '',
    row(['database', 'window', 'db snapshot', 'file work', 'occ upgrade', 'checks', 'rollback', 'db restore', 'snapshot MB']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...Object.entries(r.databases).map(([db, f]) => row([db, f.window_s, f.db_snapshot_s, f.file_work_s, f.upgrade_s, f.checks_s, f.rollback_s, f.db_restore_s, f.snapshot_mb])),
    '',
    '**Preparation, verification, memory**',
    '',
    row(['', 'ncupd', 'reference', 'ratio']), row(['---', '---:', '---:', '---:']),
    row(['online preparation vs bare `unzip` (s)', r.prepare_s, r.unzip_s, `${(r.prepare_s / r.unzip_s).toFixed(2)}×`]),
    row(['signature + checksum vs `sha512sum` (MB/s)', r.verify_mb_s, r.sha512sum_mb_s, `${(r.verify_mb_s / r.sha512sum_mb_s).toFixed(2)}×`]),
    row(['`ncupd daemon` idle RSS (MB)', r.idle_rss_mb, '', '']),
    row(['`ncupd now` peak RSS (MB)', r.peak_rss_mb, '', '']),
  ];
  if (r.data_snapshots) {
    const d = r.data_snapshots;
    lines.push('', `**Data snapshots of a data directory of ${d.files.toLocaleString('en')} files, ${d.data_mb} MB (seconds)**`, '',
      row(['method', 'filesystem', 'take', 'restore', 'remove', 'written MB']), row(['---', '---', '---:', '---:', '---:', '---:']),
      ...Object.entries(d.methods).map(([method, f]) => (typeof f === 'string' ? row([method, f, '', '', '', '']) : row([method, f.filesystem, f.take_s.toFixed(3), f.restore_s.toFixed(3), f.remove_s.toFixed(3), f.written_mb.toFixed(1)]))));
  }
  if (typeof r.ssh_fleet === 'string') lines.push('', `**SSH fleet:** ${r.ssh_fleet}`);
  else if (r.ssh_fleet) {
    const f = r.ssh_fleet;
    lines.push('', `**\`ncupd check\` over ${f.instances} instances on ${f.hosts} SSH hosts (login ${f.login}); ${f.speedup}× faster than serial**`, '',
      row(['parallel', 'wall (s)', 'per instance (s)']), row(['---:', '---:', '---:']),
      ...Object.keys(f.wall_s).map((p) => row([p, f.wall_s[p]!, f.seconds_per_instance[p]!])));
  }
  lines.push('', '**Targets (issue 8)**', '', row(['', 'target', 'measured', 'met']), row(['---', '---', '---', '---']),
    ...r.targets.map((t) => row([t.name, t.target, t.value, t.met ? 'yes' : '**no**'])));
  return lines.join('\n');
}
