import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import { fingerprintSha256, keysForHost, knownHostsLine } from '../../../../daemon/hosts/ssh/known-hosts.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { createLocalHost } from '../../../../daemon/hosts/local/index.js';
import { generateKey, sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { makeTempDir, removeDir } from '../../../fixtures/harness/temp-files.js';
import { targetFor } from './ssh-target.js';

const local = createLocalHost('ssh-test');

describe('ssh host: strict host keys', function () {
  let server: SshdServer | undefined;
  let scratch = '';
  let otherKey = { type: '', data: '' };
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    server = await startSshd({ user: 'root' });
    scratch = await makeTempDir('ncupd-ssh-keys-test');
    const other = await generateKey(scratch, 'other_host_key');
    const [type = '', data = ''] = other.publicKey.split(/\s+/);
    otherKey = { type, data };
  });
  after(async () => {
    await server?.stop();
    if (scratch) await removeDir(scratch);
  });

  /** Tries to create a marker file with the given target settings; returns the error and whether the file appeared. */
  async function attempt(overrides: Parameters<typeof targetFor>[1]): Promise<{ error: unknown; ran: boolean }> {
    const marker = join(scratch, `marker-${Date.now()}-${Math.random()}`);
    const host = createSshHost(targetFor(server!, overrides));
    try {
      const error = await host.run({ file: 'touch', args: [marker] }).then(() => undefined, (e: unknown) => e);
      return { error, ran: existsSync(marker) };
    } finally {
      await host.close();
    }
  }

  it('accepts the key listed in known_hosts ([host]:port form)', async () => {
    const { error, ran } = await attempt({});
    assert.equal(error, undefined);
    assert.equal(ran, true);
  });

  it('accepts a hashed known_hosts entry, as ssh-keygen -H writes it', async () => {
    const hashed = join(scratch, 'hashed_known_hosts');
    await writeFile(hashed, await readFile(server!.knownHostsPath), { mode: 0o600 });
    await local.run({ file: 'ssh-keygen', args: ['-H', '-f', hashed] });
    assert.match(await readFile(hashed, 'utf8'), /^\|1\|/);
    const { error, ran } = await attempt({ knownHostsFile: hashed });
    assert.equal(error, undefined);
    assert.equal(ran, true);
  });

  it('refuses an unknown host before any command runs', async () => {
    const empty = join(scratch, 'empty_known_hosts');
    await writeFile(empty, `# nothing yet\n[127.0.0.1]:1 ${otherKey.type} ${otherKey.data}\n`, { mode: 0o600 });
    for (const knownHostsFile of [empty, join(scratch, 'does-not-exist')]) {
      const { error, ran } = await attempt({ knownHostsFile });
      assert.ok(isNcupdError(error, 'NCUPD_SSH_HOST_KEY_UNKNOWN'), String(error));
      assert.match((error as Error).message, new RegExp(server!.hostKeyFingerprintSha256.replace(/[+/]/g, '\\$&')));
      assert.equal(ran, false);
    }
  });

  it('refuses a changed key before any command runs', async () => {
    const changed = join(scratch, 'changed_known_hosts');
    await writeFile(changed, `[127.0.0.1]:${server!.port} ${otherKey.type} ${otherKey.data}\n`, { mode: 0o600 });
    const { error, ran } = await attempt({ knownHostsFile: changed });
    assert.ok(isNcupdError(error, 'NCUPD_SSH_HOST_KEY_CHANGED'), String(error));
    assert.equal(ran, false);
  });

  it('refuses a key marked @revoked even when it is also listed', async () => {
    const revoked = join(scratch, 'revoked_known_hosts');
    const [type, data] = server!.hostPublicKey.split(/\s+/);
    await writeFile(revoked, `@revoked * ${type} ${data}\n${await readFile(server!.knownHostsPath, 'utf8')}`, { mode: 0o600 });
    const { error, ran } = await attempt({ knownHostsFile: revoked });
    assert.ok(isNcupdError(error, 'NCUPD_SSH_HOST_KEY_CHANGED'), String(error));
    assert.equal(ran, false);
  });

  it('accepts the pinned SHA256 fingerprint and refuses any other', async () => {
    const empty = join(scratch, 'unused_known_hosts');
    const ok = await attempt({ fingerprint: server!.hostKeyFingerprintSha256, knownHostsFile: empty });
    assert.equal(ok.error, undefined);
    assert.equal(ok.ran, true);
    const wrong = await attempt({ fingerprint: fingerprintSha256(Buffer.from(otherKey.data, 'base64')) });
    assert.ok(isNcupdError(wrong.error, 'NCUPD_SSH_HOST_KEY_CHANGED'), String(wrong.error));
    assert.equal(wrong.ran, false);
  });

  it('matches hosts like OpenSSH: ports, patterns, negation, hashed lines it wrote itself', () => {
    const blob = Buffer.from(otherKey.data, 'base64');
    const text = [
      `example.org ${otherKey.type} ${otherKey.data}`,
      `[example.net]:2222 ${otherKey.type} ${otherKey.data}`,
      `*.fleet.test,!bad.fleet.test ${otherKey.type} ${otherKey.data}`,
      knownHostsLine('hidden.test', 2200, otherKey.type, blob),
    ].join('\n');
    assert.equal(keysForHost(text, 'example.org', 22).length, 1);
    assert.equal(keysForHost(text, 'example.org', 2222).length, 0);
    assert.equal(keysForHost(text, 'example.net', 2222).length, 1);
    assert.equal(keysForHost(text, 'a.fleet.test', 22).length, 1);
    assert.equal(keysForHost(text, 'bad.fleet.test', 22).length, 0);
    assert.equal(keysForHost(text, 'hidden.test', 2200).length, 1);
    assert.equal(keysForHost(text, 'hidden.test', 22).length, 0);
    assert.ok(keysForHost(text, 'hidden.test', 2200)[0]!.blob.equals(blob));
  });
});
