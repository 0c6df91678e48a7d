import assert from 'node:assert/strict';
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import { quoteShellArg, remoteCommandLine } from '../../../../daemon/hosts/ssh/shell-quote.js';
import { isNcupdError } from '../../../../daemon/errors/ncupd-error.js';
import { sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { targetFor } from './ssh-target.js';

// The values an attacker-controlled file name, app id or config value could carry.
const HOSTILE = [
  'plain',
  '',
  'two words',
  '  leading and trailing  ',
  "it's",
  "''",
  '"double" quotes',
  '$(touch /tmp/ncupd-quote-pwned)',
  '`touch /tmp/ncupd-quote-pwned`',
  '${HOME} $HOME $$ $1',
  'semi; rm -rf /tmp/ncupd-quote-pwned; echo',
  'pipe | cat && false || true',
  'line one\nline two\n',
  '\ttab\r\n',
  '-n',
  '--help',
  '*',
  '~root',
  'back\\slash\\',
  'glob [a-z]? {a,b}',
  'Grüße, 日本語, émoji 🚀',
  '!event history',
  '#not a comment',
  '> redirect < in',
];

describe('ssh host: shell quoting', function () {
  it('quotes every value as one single-quoted word', () => {
    assert.equal(quoteShellArg(''), "''");
    assert.equal(quoteShellArg("it's"), "'it'\\''s'");
    assert.equal(quoteShellArg('$(x)'), "'$(x)'");
    assert.throws(() => quoteShellArg('nul\0byte'), (e) => isNcupdError(e, 'NCUPD_COMMAND_FAILED'));
  });

  it('puts cwd, sudo and env -i around the program', () => {
    assert.equal(remoteCommandLine({ file: 'id', cwd: '/srv/a b' }, 'root'), "echo $$ && exec 'env' '-i' '--chdir=/srv/a b' 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'LANG=C.UTF-8' 'id'");
    assert.match(remoteCommandLine({ file: 'php', args: ['occ'], user: 'www-data' }, 'deploy'), /^echo \$\$ && exec 'sudo' '-n' '-u' 'www-data' '--' 'env' '-i' .* 'php' 'occ'$/);
    assert.match(remoteCommandLine({ file: 'mv' }, 'deploy'), /^echo \$\$ && exec 'sudo' '-n' '--' 'env'/);
    assert.match(remoteCommandLine({ file: 'mv', user: 'deploy' }, 'deploy'), /^echo \$\$ && exec 'env'/);
    assert.throws(() => remoteCommandLine({ file: 'x', env: { 'A;B': '1' } }, 'root'), (e) => isNcupdError(e, 'NCUPD_COMMAND_FAILED'));
  });

  describe('through a real sshd', function () {
    let server: SshdServer | undefined;
    before(async function () {
      if (!(await sshdAvailable())) this.skip();
      server = await startSshd({ user: 'root' });
    });
    after(async () => server?.stop());

    it('delivers hostile arguments, cwd and env values byte for byte', async () => {
      const host = createSshHost(targetFor(server!));
      try {
        // printf '%s\0' prints each argument followed by a NUL: the exact argv the program got.
        const result = await host.run({ file: 'printf', args: ['%s\\0', ...HOSTILE] });
        assert.deepEqual(result.stdout.split('\0').slice(0, -1), HOSTILE);
        const env = await host.run({ file: 'sh', args: ['-c', 'printf "%s\\0" "$HOSTILE" "$PWD"'], env: { HOSTILE: HOSTILE.join('|') }, cwd: '/tmp' });
        assert.deepEqual(env.stdout.split('\0').slice(0, -1), [HOSTILE.join('|'), '/tmp']);
        const pwned = await host.run({ file: 'test', args: ['-e', '/tmp/ncupd-quote-pwned'], reject: false });
        assert.equal(pwned.exitCode, 1, 'no hostile value was executed by the remote shell');
      } finally {
        await host.close();
      }
    });
  });
});
