#!/usr/bin/env node
import { Command } from 'commander';
import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('ncupd')
  .description('Update orchestrator for self-hosted Nextcloud: verify, snapshot, apply, check and roll back.')
  .version(packageJson.version, '-V, --version', 'print the ncupd version')
  .showHelpAfterError();

program
  .command('demo')
  .description('run a self-contained demonstration against a sandbox Nextcloud (no real instance is touched)')
  .action(() => {
    console.log('ncupd demo: the sandbox run arrives with the update transaction (issue 4).');
    console.log('It will create a fixture Nextcloud instance, start an update server double that offers');
    console.log('a good release and then a broken one, and show one update that succeeds and one that is rolled back.');
  });

await program.parseAsync(process.argv);
