import { readdirSync, readFileSync } from 'node:fs';
import type { FixtureInstance } from '../fixtures/harness/instance.js';
import { treeHashExcept } from './tree-hash.js';

/**
 * Everything an update must leave exactly as before when it fails or is rolled back: the code
 * (owners and modes included), config.php, every database row, every user file, and the root's
 * entries. The live SQLite file, logs and the official updater's own folder are not user files.
 */
export async function instanceState(instance: FixtureInstance) {
  const db = `${instance.dataDir}/${instance.database.dbName}.db`;
  const noise = new Set([db, `${db}-wal`, `${db}-shm`, `${instance.dataDir}/nextcloud.log`, `${instance.dataDir}/updater.log`, `${instance.dataDir}/updater-${instance.instanceId}`]);
  return {
    code: treeHashExcept(new Set([instance.dataDir]), instance.root),
    files: treeHashExcept(noise, instance.dataDir),
    config: readFileSync(instance.configPath, 'utf8'),
    rows: await instance.dumpDatabase(),
    entries: readdirSync(instance.root).sort(),
  };
}
