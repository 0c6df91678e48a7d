import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import type { RunningProcess } from '../../../../daemon/hosts/host.js';
import { generateKey, sshdAvailable, startSshd, type GeneratedKey, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir, writeSecretFile } from '../../../fixtures/harness/temp-files.js';
import { waitForPath } from './wait-for-path.js';
import { findLeaks } from '../../../helpers/secret-scan.js';
import { targetFor } from './ssh-target.js';

const local = createLocalHost('ssh-test');
const PASSPHRASE = 'correct horse $(battery) staple';

describe('ssh host: key authentication', function () {
  let server: SshdServer | undefined;
  let scratch = '';
  let protectedKey: GeneratedKey | undefined;
  let strangerKey: GeneratedKey | undefined;
  let passphraseFile = '';
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    scratch = await makeTempDir('ncupd-ssh-auth-test');
    // A passphrase-protected key: made unprotected, then encrypted with ssh-keygen -p (test key; the
    // passphrase is on ssh-keygen's command line here only, never in ncupd's).
    protectedKey = await generateKey(scratch, 'protected');
    await local.run({ file: 'ssh-keygen', args: ['-q', '-p', '-N', PASSPHRASE, '-f', protectedKey.privateKeyPath] });
    strangerKey = await generateKey(scratch, 'stranger');
    passphraseFile = join(scratch, 'passphrase');
    await writeSecretFile(passphraseFile, `${PASSPHRASE}\n`);
    server = await startSshd({ user: 'root', extraAuthorizedKeys: [protectedKey.publicKey] });
  });
  after(async () => {
    await server?.stop();
    if (scratch) await removeDir(scratch);
  });

  async function whoami(overrides: Parameters<typeof targetFor>[1]): Promise<string> {
    const host = createSshHost(targetFor(server!, overrides));
    try {
      return (await host.run({ file: 'id', args: ['-un'] })).stdout.trim();
    } finally {
      await host.close();
    }
  }

  it('logs in with a passphrase-protected key whose passphrase is in a root-only file', async () => {
    assert.equal(await whoami({ identityFile: protectedKey!.privateKeyPath, passphraseFile }), 'root');
  });

  it('reports a wrong or missing passphrase clearly, without the passphrase', async () => {
    const wrong = join(scratch, 'wrong-passphrase');
    await writeSecretFile(wrong, 'not it\n');
    for (const overrides of [{ passphraseFile: wrong }, { passphraseFile: undefined }]) {
      const error = await whoami({ identityFile: protectedKey!.privateKeyPath, ...overrides }).catch((e: unknown) => e);
      assert.ok(isNcupdError(error, 'NCUPD_SSH_KEY_UNUSABLE'), String(error));
      assert.match((error as Error).message, /cannot be decrypted/);
      assert.deepEqual(findLeaks([String(error), (error as Error).message], [PASSPHRASE, 'not it']), []);
    }
  });

  it('refuses key and passphrase files that are not root-only', async () => {
    const loose = join(scratch, 'loose-passphrase');
    await writeSecretFile(loose, `${PASSPHRASE}\n`);
    await chmod(loose, 0o644);
    const error = await whoami({ identityFile: protectedKey!.privateKeyPath, passphraseFile: loose }).catch((e: unknown) => e);
    assert.ok(isNcupdError(error, 'NCUPD_SSH_KEY_UNUSABLE'), String(error));
    assert.match((error as Error).message, /mode 0644/);
  });

  it('reports a key the server does not accept as an authentication failure', async () => {
    const error = await whoami({ identityFile: strangerKey!.privateKeyPath }).catch((e: unknown) => e);
    assert.ok(isNcupdError(error, 'NCUPD_SSH_AUTH_FAILED'), String(error));
  });

  it('reports a closed port as a connection failure', async () => {
    const error = await whoami({ port: 1 }).catch((e: unknown) => e);
    assert.ok(isNcupdError(error, 'NCUPD_SSH_CONNECT_FAILED'), String(error));
  });

  it('authenticates through an SSH agent (SSH_AUTH_SOCK), with no key file', async () => {
    const socket = join(scratch, 'agent.sock');
    let agent: RunningProcess | undefined;
    try {
      // -D: in the foreground, so the test owns and stops it.
      agent = local.start({ file: 'ssh-agent', args: ['-D', '-a', socket] });
      await waitForPath(socket);
      const key = join(scratch, 'agent-key');
      await writeFile(key, server!.privateKey, { mode: 0o600 });
      await local.run({ file: 'ssh-add', args: ['-q', key], env: { SSH_AUTH_SOCK: socket } });
      assert.equal(await whoami({ identityFile: undefined, agentSocket: socket }), 'root');
    } finally {
      await agent?.stop(1000);
    }
  });

  it('never puts the private key in output or errors', async () => {
    const error = await whoami({ identityFile: strangerKey!.privateKeyPath }).catch((e: unknown) => e);
    const body = (await readFile(strangerKey!.privateKeyPath, 'utf8')).split('\n').filter((line) => line.length > 20);
    assert.deepEqual(findLeaks([String(error), JSON.stringify(error)], body), []);
  });
});
