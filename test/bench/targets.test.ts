import assert from 'node:assert/strict';
import { buildTargets, type BenchResults } from '../../bench/results.js';

// The benchmark's verdicts (bench/results.ts), judged on made-up figures at the bounds.
// Speed itself is measured by `npm run bench`, never asserted in a test.

function results(overrides: Partial<BenchResults>): BenchResults {
  return {
    generatedAt: '2026-11-27T00:00:00.000Z', quick: true, repetitions: 1,
    machine: { cpus: 2, cpuModel: 'test', node: 'v20' },
    workload: { files: 30_000, unpacked_mb: 600, zip_mb: 150, rows: 1_000_000, from: '33.0.5', to: '33.0.6' },
    window_file_work_s: 0.1, updater_window_file_work_s: 10, code_rollback_s: 0.05, updater_code_rollback_s: 8,
    verify_mb_s: 600, sha512sum_mb_s: 300, prepare_s: 6, unzip_s: 5, total_s: 60, updater_total_s: 80, updater_window_s: 30,
    idle_rss_mb: 60, idle_rss_after_start_mb: 60, peak_rss_mb: 120, databases: {}, raw: {}, targets: [],
    ...overrides,
  };
}

const verdict = (r: BenchResults, name: string) => buildTargets(r).find((t) => t.name === name)?.met;

describe('benchmark targets', () => {
  it('judges every target of the issue, met where the figures are within bounds', () => {
    const targets = buildTargets(results({}));
    assert.equal(targets.length, 6);
    assert.ok(targets.every((t) => t.met), JSON.stringify(targets));
  });

  it('holds the bounds exactly: 0.2 s of file work passes, a little more does not', () => {
    assert.equal(verdict(results({ window_file_work_s: 0.2 }), 'file work in the window'), true);
    assert.equal(verdict(results({ window_file_work_s: 0.21 }), 'file work in the window'), false);
    assert.equal(verdict(results({ code_rollback_s: 0.2 }), 'code rollback'), false, 'under 0.2 s, strictly');
    assert.equal(verdict(results({ idle_rss_mb: 64.1 }), 'idle daemon RSS'), false);
  });

  it('judges ratios measured in the same run, not absolute speeds', () => {
    assert.equal(verdict(results({ window_file_work_s: 0.1, updater_window_file_work_s: 4.9 }), 'file work vs the updater approach'), false);
    assert.equal(verdict(results({ window_file_work_s: 0.1, updater_window_file_work_s: 5 }), 'file work vs the updater approach'), true);
    assert.equal(verdict(results({ verify_mb_s: 359, sha512sum_mb_s: 300 }), 'verification vs sha512sum'), false);
    assert.equal(verdict(results({ prepare_s: 6.6, unzip_s: 5 }), 'online preparation vs bare unzip'), false);
    assert.equal(verdict(results({ prepare_s: 6.5, unzip_s: 5 }), 'online preparation vs bare unzip'), true);
  });
});
