// Every method folder is registered under the dbtype it serves and documents itself (shared/style.md, points 1 and 12).
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseSnapshotMethod } from '../../../../daemon/snapshots/database/method.js';
import { databaseMethods } from '../../../../daemon/snapshots/database/registry.js';
import { REPO_ROOT } from '../../../helpers/repo.js';

const SOURCE = join(REPO_ROOT, 'daemon', 'snapshots', 'database');
const COMPILED = join(REPO_ROOT, 'dist', 'daemon', 'snapshots', 'database');

describe('database snapshot registry', () => {
  const folders = readdirSync(SOURCE, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

  it('has one method per dbtype, each under its own id', () => {
    assert.deepEqual(Object.keys(databaseMethods).sort(), ['mysql', 'pgsql', 'sqlite3']);
    for (const [type, method] of Object.entries(databaseMethods)) {
      assert.equal(method.id, type);
      assert.ok(method.needsTools.length > 0, `${type} lists the programs it runs`);
      for (const verb of ['ping', 'take', 'verify', 'restore'] as const) assert.equal(typeof method[verb], 'function', `${type}.${verb}`);
    }
  });

  it('registers every method folder, and every folder has an index.ts and a README.md', async () => {
    assert.equal(folders.length, Object.keys(databaseMethods).length);
    const registered = new Set<DatabaseSnapshotMethod>(Object.values(databaseMethods));
    for (const folder of folders) {
      assert.ok(existsSync(join(SOURCE, folder, 'index.ts')), `${folder}/index.ts`);
      assert.ok(existsSync(join(SOURCE, folder, 'README.md')), `${folder}/README.md`);
      const exported = Object.values(await import(join(COMPILED, folder, 'index.js')) as Record<string, unknown>);
      assert.ok(exported.some((value) => registered.has(value as DatabaseSnapshotMethod)), `${folder} exports a registered method`);
    }
  });
});
