// The API token file: created 0600 by root, refused when anyone else could read or replace it.
// Runs as root (like the whole suite): the ownership cases chown to nobody (65534).
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { createTokenFile, readToken } from '../../../daemon/status/token.js';

describe('status endpoint token file', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ncupd-token-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function tokenFileWith(name: string, content: string, mode = 0o600): Promise<string> {
    const path = join(work, name);
    await writeFile(path, content, { mode });
    await chmod(path, mode);
    return path;
  }

  it('creates 32 random bytes as hex, mode 0600, readable back', async () => {
    const path = join(work, 'created');
    const token = await createTokenFile(path);
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await readToken(path), token);
    assert.notEqual(await createTokenFile(join(work, 'created-2')), token);
  });

  it('never replaces an existing token file', async () => {
    const path = join(work, 'created');
    const before = await readFile(path, 'utf8');
    await assert.rejects(createTokenFile(path), (e) => (e as NodeJS.ErrnoException).code === 'EEXIST');
    assert.equal(await readFile(path, 'utf8'), before);
  });

  it('refuses files open to group or others', async () => {
    for (const mode of [0o640, 0o604, 0o620, 0o602, 0o644]) {
      const path = await tokenFileWith(`mode-${mode.toString(8)}`, 'a'.repeat(64), mode);
      await assert.rejects(readToken(path), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE') && e.message.includes(`0${mode.toString(8)}`), mode.toString(8));
    }
    assert.equal(await readToken(await tokenFileWith('mode-400', 'a'.repeat(64), 0o400)), 'a'.repeat(64));
  });

  it('refuses a file not owned by root', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const path = await tokenFileWith('nobody', 'a'.repeat(64));
    await chown(path, 65534, 65534);
    await assert.rejects(readToken(path), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE') && e.message.includes('uid 65534'));
  });

  it('refuses symlinks, folders and short tokens', async () => {
    const target = await tokenFileWith('target', 'a'.repeat(64));
    await symlink(target, join(work, 'link'));
    await assert.rejects(readToken(join(work, 'link')), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE'));
    await mkdir(join(work, 'folder'), { mode: 0o700 });
    await assert.rejects(readToken(join(work, 'folder')), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE'));
    await assert.rejects(readToken(await tokenFileWith('short', 'secret\n')), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE'));
    await assert.rejects(readToken(await tokenFileWith('spaces', `${'a'.repeat(20)} ${'b'.repeat(20)}\n`)), (e) => isNcupdError(e, 'NCUPD_TOKEN_INSECURE'));
  });

  it('reports a missing or empty file as missing, and trims the final newline', async () => {
    await assert.rejects(readToken(join(work, 'absent')), (e) => isNcupdError(e, 'NCUPD_TOKEN_MISSING'));
    await assert.rejects(readToken(await tokenFileWith('empty', '\n')), (e) => isNcupdError(e, 'NCUPD_TOKEN_MISSING'));
    assert.equal(await readToken(await tokenFileWith('newline', `${'d'.repeat(40)}\n`)), 'd'.repeat(40));
  });
});
