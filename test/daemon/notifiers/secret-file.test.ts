// Notifier secrets come only from root-only regular files; each other case is refused with its reason.
import assert from 'node:assert/strict';
import { chown, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNcupdError } from '../../../daemon/errors/ncupd-error.js';
import { readSecretFile } from '../../../daemon/notifiers/secret-file.js';
import { makeTempDir, writeSecretFile } from '../../fixtures/harness/temp-files.js';

describe('notifier secret files', () => {
  let dir: string;
  before(async () => {
    dir = await makeTempDir('ncupd-secret');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refused = async (path: string, reason: RegExp) => {
    await assert.rejects(readSecretFile(path, 'webhook token'), (error) => {
      assert.ok(isNcupdError(error, 'NCUPD_NOTIFY_SECRET_UNSAFE'), String(error));
      assert.match(error.message, reason);
      assert.match(error.hint, /chmod 600/);
      return true;
    });
  };

  it('reads the first line of a 0600 file owned by the daemon\'s user', async () => {
    await writeSecretFile(join(dir, 'ok'), 'tk_abc123\nsecond line ignored\n');
    assert.equal(await readSecretFile(join(dir, 'ok'), 'webhook token'), 'tk_abc123');
  });

  it('refuses a missing, empty, symlinked, foreign-owned or group-readable file', async () => {
    await refused(join(dir, 'missing'), /cannot be opened \(ENOENT\)/);
    await writeSecretFile(join(dir, 'empty'), '\n');
    await refused(join(dir, 'empty'), /is empty/);
    await symlink(join(dir, 'ok'), join(dir, 'link'));
    await refused(join(dir, 'link'), /is a symlink/);
    await writeSecretFile(join(dir, 'foreign'), 'tk_x');
    await chown(join(dir, 'foreign'), 1, 1);
    await refused(join(dir, 'foreign'), /owned by uid 1, not \d+/);
    await writeFile(join(dir, 'group'), 'tk_x', { mode: 0o640 });
    await refused(join(dir, 'group'), /mode 0640, readable by group or others/);
  });
});
