// Every data-snapshot folder is registered under its id and documents itself (shared/style.md, points 1 and 12).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_METHOD_IDS, type DataSnapshotMethod } from '../../../../daemon/snapshots/data/method.js';
import { dataMethods } from '../../../../daemon/snapshots/data/registry.js';
import { REPO_ROOT } from '../../../helpers/repo.js';

const SOURCE = join(REPO_ROOT, 'daemon', 'snapshots', 'data');
const COMPILED = join(REPO_ROOT, 'dist', 'daemon', 'snapshots', 'data');

describe('data snapshot registry', () => {
  const folders = readdirSync(SOURCE, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

  it('has every method under its own id', () => {
    assert.deepEqual(Object.keys(dataMethods).sort(), [...DATA_METHOD_IDS].sort());
    for (const [id, method] of Object.entries(dataMethods)) {
      assert.equal(method.id, id);
      for (const verb of ['applies', 'take', 'restore', 'remove'] as const) assert.equal(typeof method[verb], 'function', `${id}.${verb}`);
    }
  });

  it('registers every method folder, and every folder has an index.ts and a README.md', async () => {
    assert.deepEqual(folders, [...DATA_METHOD_IDS].sort());
    const registered = new Set<DataSnapshotMethod>(Object.values(dataMethods));
    for (const folder of folders) {
      assert.ok(existsSync(join(SOURCE, folder, 'index.ts')), `${folder}/index.ts`);
      assert.ok(existsSync(join(SOURCE, folder, 'README.md')), `${folder}/README.md`);
      const exported = Object.values(await import(join(COMPILED, folder, 'index.js')) as Record<string, unknown>);
      assert.ok(exported.some((value) => registered.has(value as DataSnapshotMethod)), `${folder} exports a registered method`);
    }
  });
});
