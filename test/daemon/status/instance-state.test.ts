import assert from 'node:assert/strict';
import { describeInstanceState } from '../../../daemon/status/instance-state.js';
import type { InstanceStatus } from '../../../daemon/service/status-model.js';
import { createStatusDouble } from './status-double.js';

describe('instance state (page colour and label)', () => {
  const [cloud, family, office, archive] = createStatusDouble().status.instances as [InstanceStatus, InstanceStatus, InstanceStatus, InstanceStatus];

  it('labels the four realistic instances', () => {
    assert.deepEqual([cloud, family, office, archive].map(describeInstanceState), [
      { level: 'ok', label: 'updated' },
      { level: 'failed', label: 'rolled back' },
      { level: 'failed', label: 'rollback incomplete' },
      { level: 'attention', label: 'update held' },
    ]);
  });

  it('puts what needs a human first', () => {
    assert.deepEqual(describeInstanceState({ ...cloud, lastRun: undefined }), { level: 'ok', label: 'up to date' });
    assert.deepEqual(describeInstanceState({ ...cloud, maintenance: { on: true, since: undefined } }), { level: 'attention', label: 'maintenance on' });
    assert.deepEqual(describeInstanceState({ ...cloud, running: { txid: 't', stage: 'upgrade', since: '' } }), { level: 'attention', label: 'updating (upgrade)' });
    // A crash left a transaction open without a failed run on record: recovery is pending.
    assert.deepEqual(describeInstanceState({ ...cloud, openTransactions: 1 }), { level: 'failed', label: 'rollback incomplete' });
    assert.deepEqual(describeInstanceState({ ...family, lastRun: undefined }), { level: 'attention', label: 'update pending' });
    assert.deepEqual(describeInstanceState({ ...cloud, lastRun: undefined, decision: 'unknown' }), { level: 'unknown', label: 'not checked yet' });
    assert.deepEqual(describeInstanceState({ ...cloud, lastCheckError: 'NCUPD_UPDATE_SERVER_UNREACHABLE' }), { level: 'attention', label: 'check failing' });
  });
});
