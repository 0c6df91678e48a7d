#!/usr/bin/env node
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { GlobalOptions } from './context.js';
import { reportError } from './report-error.js';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Options every instance command takes: a config file, or one local instance described by flags. */
function withInstanceOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'configuration file (default /etc/ncupd/config.yaml)')
    .option('-i, --instance <name>', 'only this configured instance')
    .option('--json', 'machine-readable output')
    .option('--path <dir>', 'without a config file: install root of one local instance')
    .option('--web-user <user>', 'with --path: owner of config.php (default www-data)')
    .option('--php <binary>', 'with --path: PHP binary of the web server (default php)')
    .option('--url <url>', 'with --path: base URL for status.php')
    .option('--update-server <url>', 'with --path: update server or mirror')
    .option('--channel <name>', 'with --path: release channel')
    .option('--trust-cert <file>', 'with --path: certificate that must have signed the archive')
    .option('--cache-dir <dir>', 'with --path: cache for verified archives (default /var/cache/ncupd)')
    .addOption(new Option('--allow-major', 'with --path: allow a major upgrade (one hop)'));
}

async function run(action: (options: GlobalOptions) => Promise<number>, options: GlobalOptions): Promise<void> {
  try {
    process.exitCode = await action(options);
  } catch (error) {
    process.exitCode = reportError(error, options.json === true);
  }
}

const program = new Command()
  .name('ncupd')
  .description('Update orchestrator for self-hosted Nextcloud: verify, snapshot, apply, check and roll back.')
  .version(packageJson.version, '-V, --version', 'print the ncupd version')
  .showHelpAfterError()
  .exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

withInstanceOptions(program.command('check').description('show the installed version, what the update server offers and the policy decision (changes nothing)'))
  .option('--parallel <n>', 'read this many instances at once (default 8)')
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/check.js')).runCheck(o), options));

withInstanceOptions(program.command('fetch').description('check, then download and verify the release into the cache; print its path and SHA-512'))
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/fetch.js')).runFetch(o), options));

withInstanceOptions(program.command('now').description('update now: one transaction per instance, rolled back completely if anything fails'))
  .option('--dry-run', 'stop before the maintenance window (download, verify, stage and preflight only)')
  .option('--strategy <id>', 'with --path: archive (default), updater or git')
  .option('--state-dir <dir>', 'with --path: journal, history and snapshots (default /var/lib/ncupd)')
  .option('--reload <command...>', 'with --path: reload hook run after each swap (for example systemctl reload php8.2-fpm)')
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/now.js')).runNow(o), options));

const rollout = program.command('rollout').description('update every configured instance in rings (rollout: in the config): start the rollout or continue the open one (docs/fleets.md)')
  .option('-c, --config <file>', 'configuration file (default /etc/ncupd/config.yaml)')
  .option('--json', 'machine-readable output')
  .option('--no-wait', 'stop at a soak between rings instead of waiting for it')
  .action(async (options: GlobalOptions & { wait?: boolean }) => run(async (o) => (await import('./commands/rollout.js')).runRolloutCommand(o), options));
rollout.command('resume').description('clear the halt of the rollout after fixing its cause; `ncupd rollout` then continues')
  .option('-c, --config <file>', 'configuration file (default /etc/ncupd/config.yaml)')
  .option('--json', 'machine-readable output')
  // The parent's -c and --json are parsed by the parent wherever they stand: read both.
  .action(async (_options: GlobalOptions, command: Command) => run(async (o) => (await import('./commands/rollout.js')).runRolloutResume(o), command.optsWithGlobals<GlobalOptions>()));

withInstanceOptions(program.command('recover').description('finish or undo every transaction a crash, a kill or a missing resource left open (the daemon does this at start)'))
  .option('--state-dir <dir>', 'with --path: state directory (default /var/lib/ncupd)')
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/recover.js')).runRecover(o), options));

withInstanceOptions(program.command('clear-updater-step').description('explain a leftover .step of the official updater; with --yes, move it aside when that is safe'))
  .option('--yes', 'move .step and downloads/ into the state directory (without it nothing is changed)')
  .option('--state-dir <dir>', 'with --path: state directory (default /var/lib/ncupd)')
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/clear-updater-step.js')).runClearUpdaterStep(o), options));

program.command('trust-host').description('show the SSH host key of an instance (or --host) and, once confirmed, record it in the known_hosts file')
  .argument('[instance]', 'a configured instance with a host.ssh section')
  .option('-c, --config <file>', 'configuration file (default /etc/ncupd/config.yaml)')
  .option('--host <name>', 'instead of an instance: this host')
  .option('--port <n>', 'with --host: SSH port (default 22)')
  .option('--known-hosts <file>', 'known_hosts file to add to (default: the instance\'s knownHostsFile, else /etc/ncupd/known_hosts)')
  .option('--yes', 'record the key without asking (after checking the fingerprint out of band)')
  .action(async (name: string | undefined, options: GlobalOptions) => run(async (o) => (await import('./commands/trust-host.js')).runTrustHost(name, o), options));

program.command('daemon').description('run as a service: recover, check on a schedule, update inside maintenance windows (what the systemd unit runs)')
  .option('-c, --config <file>', 'configuration file (default /etc/ncupd/config.yaml)')
  .action(async (options: { config?: string }) => run(async () => (await import('./commands/daemon.js')).runDaemon(options), {}));

withInstanceOptions(program.command('status').description('every instance: versions, policy decision, last run, windows, open transactions (from the daemon when one runs)'))
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/status.js')).runStatus(o), options));

withInstanceOptions(program.command('pause').description('the daemon starts no scheduled update on these instances until resumed'))
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/status.js')).runPause(o, true), options));

withInstanceOptions(program.command('resume').description('undo `ncupd pause`'))
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/status.js')).runPause(o, false), options));

withInstanceOptions(program.command('rollback').description('put back the snapshot of the last update (code, config, database); shows its age and what would be lost, acts only with --yes'))
  .option('--yes', 'really roll back')
  .option('--with-data', 'also put back the data directory from the update\'s data snapshot (what it replaces is moved aside, not deleted)')
  .action(async (options: GlobalOptions & { yes?: boolean; withData?: boolean }) => run(async (o) => (await import('./commands/rollback.js')).runRollback(o as GlobalOptions & { yes?: boolean; withData?: boolean }), options));

withInstanceOptions(program.command('history').description('past runs, newest first'))
  .option('--limit <n>', 'how many', '20')
  .option('--state-dir <dir>', 'with --path: state directory (default /var/lib/ncupd)')
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/history.js')).runHistory(o), options));

program.command('install-service').description('write the systemd unit, its drop-ins, a configuration skeleton and the token (prints the systemctl commands, runs none)')
  .option('-c, --config <file>', 'configuration file on the target system (default /etc/ncupd/config.yaml)')
  .option('--root <dir>', 'write below this directory instead of / (staging for tests and packages)')
  .option('--force', 'replace a unit or drop-in that was edited (the edited file is kept as .ncupd-old)')
  .option('--snapshots', 'also install the drop-in for btrfs, ZFS and LVM snapshots (CAP_SYS_ADMIN, devices)')
  .option('--read-write <dir...>', 'more folders the service may write to')
  .option('--name <name>', 'without a configuration: name of the instance in the skeleton')
  .option('--path <dir>', 'without a configuration: install root of the instance in the skeleton')
  .option('--web-user <user>', 'without a configuration: web server user in the skeleton')
  .option('--json', 'machine-readable output')
  .action(async (options: { json?: boolean }) => run(async () => (await import('./commands/install-service.js')).runInstallService(options), options));

const config = program.command('config').description('configuration commands');
withInstanceOptions(config.command('check').description('validate the configuration, reporting every problem at once'))
  .action(async (options: GlobalOptions) => run(async (o) => (await import('./commands/config-check.js')).runConfigCheck(o), options));

program
  .command('demo')
  .description('run a self-contained demonstration against a sandbox Nextcloud (no real instance is touched)')
  .option('--keep', 'keep the sandbox afterwards')
  .action(async (options: { keep?: boolean }) => {
    // The demo is built from the test bed (fixture Nextcloud, release builder, update server double).
    const demo = (await import(new URL('../../test/demo/run-demo.js', import.meta.url).href)) as { runDemo(o: { keep?: boolean }): Promise<number> };
    await run(() => demo.runDemo(options), {});
  });

await program.parseAsync(process.argv);
