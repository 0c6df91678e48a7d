import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckPhase } from '../../../integrity/checks/check.js';
import { builtinChecks, checksFor, operatorCheckKinds } from '../../../integrity/checks/registry.js';
import { parseConfig } from '../../../daemon/config/load-config.js';
import { REPO_ROOT } from '../../helpers/repo.js';

const CHECKS_DIR = join(REPO_ROOT, 'integrity', 'checks');
const PHASES: readonly CheckPhase[] = ['window', 'final', 'restored'];

describe('check registry', () => {
  const folders = readdirSync(CHECKS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(CHECKS_DIR, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();

  it('registers every check folder, each built-in under its folder name', () => {
    assert.deepEqual([...builtinChecks.map((c) => c.id), ...operatorCheckKinds].sort(), folders);
  });

  it('has well-formed built-ins: unique ids, known phases, a deadline', () => {
    assert.equal(new Set(builtinChecks.map((c) => c.id)).size, builtinChecks.length);
    for (const check of builtinChecks) {
      assert.ok(check.phases.length > 0 && check.phases.every((p) => PHASES.includes(p)), check.id);
      assert.ok((check.timeoutMs ?? 0) > 0, `${check.id} declares its deadline`);
    }
  });

  it('is documented: the README names every check folder', () => {
    const readme = readFileSync(join(CHECKS_DIR, 'README.md'), 'utf8');
    for (const folder of folders) assert.ok(readme.includes(`\`${folder}\``), folder);
  });

  it('selects the checks of each phase, operator checks after the built-ins', () => {
    const instance = parseConfig({ instances: [{ name: 't', path: '/srv/nextcloud', checks: {
      commands: [{ name: 'queue', command: ['/usr/local/bin/check-queue'] }],
      http: [{ name: 'files', url: '/apps/files/' }],
    } }] }, 'test').instances[0]!;
    const ids = (phase: CheckPhase) => checksFor(instance, phase).map((c) => c.id);
    assert.deepEqual(ids('window'), ['occ-status', 'enabled-apps', 'integrity-core', 'status-php', 'custom-command:queue']);
    assert.deepEqual(ids('final'), ['status-php', 'login-page', 'http-probe:files']);
    assert.deepEqual(ids('restored'), ['occ-status', 'enabled-apps', 'integrity-core', 'status-php', 'login-page']);
  });
});
