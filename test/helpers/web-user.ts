import { createLocalHost } from '../../daemon/hosts/local/index.js';

/** The unprivileged account that plays the web server user (www-data on a real server). */
export const WEB_USER = 'ncupd-web';

let ensured: Promise<void> | undefined;

/** Creates the web user once per test process (tests run as root, as the brief says CI does). */
export function ensureWebUser(): Promise<void> {
  ensured ??= (async () => {
    const host = createLocalHost();
    const probe = await host.run({ file: 'id', args: ['-u', WEB_USER], reject: false });
    if (probe.exitCode === 0) return;
    await host.run({ file: 'useradd', args: ['--system', '--user-group', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', WEB_USER], reject: false });
    const again = await host.run({ file: 'id', args: ['-u', WEB_USER], reject: false });
    if (again.exitCode !== 0) throw new Error(`could not create the test web user ${WEB_USER}: ${again.stderr}`);
  })();
  return ensured;
}
