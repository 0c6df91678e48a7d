// The transaction matrix over SSH against the real sshd on loopback (issue 6): every strategy
// (archive, updater, git) and database (SQLite, MariaDB, PostgreSQL): success, each rollback case
// of the local suite, and the refusal on a wrong database password. The full tier runs it all;
// the default tier one MariaDB update with the updater strategy, logged in as an unprivileged user
// that reaches root and the web user through sudo (docs/ssh.md), so `npm test` covers a server
// database, the updater and sudo over SSH in one case.
// Limit, said plainly: on loopback the target's files are this machine's, so a stage that wrongly
// used local files would not be caught here; the network-namespace host runs this same matrix.
import { createSshHost } from '../../../../daemon/hosts/ssh/index.js';
import { allowSudo, sshdAvailable, startSshd, type SshdServer } from '../../../fixtures/harness/sshd.js';
import { WEB_USER } from '../../../helpers/web-user.js';
import { targetFor } from './ssh-target.js';
import { defineTransactionMatrix, successTitle, type MatrixTarget } from './transaction-matrix.js';

describe('ncupd now over SSH: every strategy and database (loopback sshd)', function () {
  this.timeout(900_000);
  let server: SshdServer | undefined;
  let target: (MatrixTarget & { host: { close(): Promise<void> } }) | undefined;
  before(async function () {
    if (!(await sshdAvailable())) this.skip();
    await allowSudo([WEB_USER]);
    server = await startSshd();
    target = {
      ssh: { host: server.host, port: server.port, user: server.user, identityFile: server.privateKeyPath, knownHostsFile: server.knownHostsPath },
      host: createSshHost(targetFor(server)),
    };
  });
  after(async () => {
    await target?.host.close();
    await server?.stop();
  });

  defineTransactionMatrix(() => target!, { quick: [successTitle('mysql', 'updater')] });
});
