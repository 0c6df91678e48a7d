import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { issuedPasswords } from './fixtures/harness/database-spec.js';
import { transcript } from './helpers/run-ncupd.js';

// A root-level hook: it runs after every test of the suite, over everything ncupd printed and every
// file it wrote into its state and cache directories, looking for any database password the
// harness handed out (issue 3: "No database password appears in any output of the suite").
export const scannedDirectories: string[] = [];

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? filesUnder(path) : statSync(path).size < 4 * 1024 * 1024 ? [path] : [];
    });
  } catch {
    return [];
  }
}

after('no database password in any ncupd output or state file', function () {
  if (transcript.length === 0) this.skip();
  const texts = [...transcript, ...scannedDirectories.flatMap(filesUnder).map((file) => readFileSync(file, 'latin1'))];
  assert.ok(issuedPasswords.size > 0, 'the suite created databases with passwords');
  for (const password of issuedPasswords) {
    for (const text of texts) assert.ok(!text.includes(password), 'a database password appeared in ncupd output');
  }
});
