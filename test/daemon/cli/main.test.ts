import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { progressPrinter } from '../../../daemon/cli/output.js';
import { REPO_ROOT } from '../../helpers/repo.js';
import { runNcupd } from '../../helpers/run-ncupd.js';

describe('ncupd command', () => {
  it('prints help with its commands and exits 0', async () => {
    const result = await runNcupd(['--help']);
    assert.equal(result.exitCode, 0);
    for (const command of ['check', 'fetch', 'config', 'demo']) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('prints the package version', async () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const result = await runNcupd(['--version']);
    assert.equal(result.stdout.trim(), version);
  });

  it('exits 2 on an unknown option or command', async () => {
    assert.equal((await runNcupd(['check', '--no-such-option'])).exitCode, 2);
    assert.equal((await runNcupd(['frobnicate'])).exitCode, 2);
    const missing = await runNcupd(['check', '--config', '/nonexistent/ncupd.yaml']);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /error NCUPD_CONFIG_NOT_FOUND/);
  });

  it('draws a progress bar only on a terminal', () => {
    const written: string[] = [];
    const terminal = { isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const print = progressPrinter(terminal);
    assert.ok(print);
    print({ url: 'u', received: 1024 * 1024, total: 2 * 1024 * 1024 });
    assert.match(written.join(''), /downloading \[#{15}\.{15}\] 50% 1\.0\/2\.0 MB/);
    assert.equal(progressPrinter({ isTTY: false } as unknown as NodeJS.WriteStream), undefined);
  });
});
