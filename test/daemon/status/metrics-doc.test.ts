import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderMetrics } from '../../../daemon/status/metrics.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { createStatusDouble } from './status-double.js';

describe('metrics documentation', () => {
  it('docs/monitoring.md lists exactly the metrics /metrics exposes', async () => {
    const { body } = await renderMetrics(createStatusDouble().status);
    const exposed = new Set([...body.matchAll(/^# TYPE (ncupd_\w+) /gm)].map((m) => m[1]));
    const doc = await readFile(join(REPO_ROOT, 'docs', 'monitoring.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(ncupd_\w+)[{`]/gm)].map((m) => m[1]));
    assert.deepEqual([...exposed].sort(), [...documented].sort());
  });
});
