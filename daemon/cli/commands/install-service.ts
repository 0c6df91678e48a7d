import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../../config/load-config.js';
import type { NcupdConfig } from '../../config/schema.js';
import { NcupdError } from '../../errors/ncupd-error.js';
import { createLocalHost } from '../../hosts/local/index.js';
import { configSkeleton } from '../../service/config-skeleton.js';
import {
  MAIN_SCRIPT, SNAPSHOTS_TEMPLATE, UNIT_TEMPLATE, planGenerated, renderUnit, writeAtomically, writeGenerated,
  type FileAction, type FileResult, type GeneratedFile,
} from '../../service/install-files.js';
import { instanceFolders, renderInstancesDropIn } from '../../service/writable-paths.js';
import { createTokenFile, readToken } from '../../status/token.js';

export interface InstallServiceOptions {
  /** Where the target system's / is (staging for tests and packages); default /. */
  root?: string;
  /** The configuration path on the target system. */
  config?: string;
  force?: boolean;
  snapshots?: boolean;
  readWrite?: string[];
  /** For the skeleton, when there is no configuration yet. */
  name?: string;
  path?: string;
  webUser?: string;
  json?: boolean;
}

const HIDDEN = /^\/(home|root|run\/user)(\/|$)/;
const COMMANDS = ['systemctl daemon-reload', 'systemctl enable --now ncupd', 'systemctl status ncupd', 'journalctl -u ncupd -f'];

function checkedOptions(options: InstallServiceOptions): { root: string; configPath: string; extra: string[] } {
  const root = resolve(options.root ?? '/');
  const configPath = options.config ?? DEFAULT_CONFIG_PATH;
  const extra = options.readWrite ?? [];
  for (const path of [configPath, ...extra]) {
    if (!isAbsolute(path)) throw new NcupdError('NCUPD_USAGE', { detail: `expected an absolute path on the target system, got ${JSON.stringify(path)}` });
  }
  if (root === '/' && process.getuid?.() !== 0) throw new NcupdError('NCUPD_USAGE', { detail: 'install-service writes to /etc: run it as root, or give --root <dir> to write into a staging tree' });
  // ProtectHome=yes hides these from the service: it could not even start node.
  for (const path of [process.execPath, MAIN_SCRIPT, configPath]) {
    if (HIDDEN.test(path)) {
      throw new NcupdError('NCUPD_USAGE', { detail: `${path} is under /home, /root or /run/user, which the service cannot see (ProtectHome=yes)`,
        hint: 'Install node and ncupd under /usr (docs/install.md) and keep the configuration in /etc/ncupd.' });
    }
  }
  return { root, configPath, extra };
}

/** The existing configuration, validated; or the skeleton to write (validated too). */
function readConfig(root: string, configPath: string, options: InstallServiceOptions): { config: NcupdConfig; skeleton?: { path: string; text: string } } {
  const staged = join(root, configPath);
  if (existsSync(staged)) return { config: loadConfigFile(staged) };
  const { config, text } = configSkeleton({ name: options.name, path: options.path, webUser: options.webUser });
  return { config, skeleton: { path: staged, text } };
}

/** `ncupd install-service`: writes the unit, its drop-ins, a configuration skeleton and the token; runs no systemctl. */
export async function runInstallService(options: InstallServiceOptions): Promise<number> {
  const { root, configPath, extra } = checkedOptions(options);
  const { config, skeleton } = readConfig(root, configPath, options);
  const host = createLocalHost();
  // Instances are read where they are (this host), whatever --root says: --root only moves where files go.
  const folders = await Promise.all(config.instances.map((instance) => instanceFolders(host, instance)));
  const unitDir = join(root, 'etc', 'systemd', 'system');
  const generated: GeneratedFile[] = [
    { path: join(unitDir, 'ncupd.service'), body: renderUnit(await readFile(UNIT_TEMPLATE, 'utf8'), { node: process.execPath, main: MAIN_SCRIPT, config: configPath }) },
    { path: join(unitDir, 'ncupd.service.d', '10-instances.conf'), body: renderInstancesDropIn(config, folders, extra, configPath) },
    ...(options.snapshots ? [{ path: join(unitDir, 'ncupd.service.d', '20-snapshots.conf'), body: `# Written by \`ncupd install-service --snapshots\` from ${SNAPSHOTS_TEMPLATE}.\n${await readFile(SNAPSHOTS_TEMPLATE, 'utf8')}` }] : []),
  ];
  // Every refusal before the first write: a refused drop-in must not leave a new unit behind.
  const actions: FileAction[] = [];
  for (const file of generated) actions.push(await planGenerated(file, options.force === true));
  const tokenPath = join(root, config.daemon.tokenFile);
  const tokenExists = existsSync(tokenPath);
  // An existing token must be one the daemon accepts (root-owned, 0600); it is never replaced.
  if (tokenExists) await readToken(tokenPath, { ownerUid: process.getuid?.() ?? 0 });

  const results: FileResult[] = [];
  if (skeleton) {
    await privateDir(dirname(skeleton.path));
    await writeAtomically(skeleton.path, skeleton.text, 0o600);
    results.push({ path: skeleton.path, action: 'created' });
  } else {
    results.push({ path: join(root, configPath), action: 'kept' });
  }
  if (!tokenExists) {
    await privateDir(dirname(tokenPath));
    await createTokenFile(tokenPath);
  }
  results.push({ path: tokenPath, action: tokenExists ? 'kept' : 'created' });
  for (const [index, file] of generated.entries()) results.push(await writeGenerated(file, actions[index] ?? 'unchanged'));

  const warnings = folders.filter((f) => f.problem).map((f) => `instance ${f.name}: ${f.problem?.split('\n')[0]}; only its install root and parent are writable. Run install-service again once the instance is in place.`);
  if (!skeleton && (options.name || options.path || options.webUser)) warnings.push(`--name, --path and --web-user only fill in a new configuration; ${join(root, configPath)} exists and was kept`);
  print({ root, results, warnings, skeleton: skeleton?.path, configPath }, options.json === true);
  return 0;
}

/** /etc/ncupd is root-only (as ConfigurationDirectoryMode= makes it); the folders above keep the usual 0755. */
async function privateDir(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

function print(report: { root: string; results: FileResult[]; warnings: string[]; skeleton: string | undefined; configPath: string }, json: boolean): void {
  const next = report.skeleton
    ? [`$EDITOR ${report.configPath}`, `ncupd config check --config ${report.configPath}`, 'ncupd install-service', ...COMMANDS]
    : COMMANDS;
  if (json) {
    process.stdout.write(`${JSON.stringify({ root: report.root, files: report.results, warnings: report.warnings, commands: next })}\n`);
    return;
  }
  for (const file of report.results) process.stdout.write(`${file.action.padEnd(9)} ${file.path}${file.backup ? ` (the edited file is kept as ${file.backup})` : ''}\n`);
  for (const warning of report.warnings) process.stdout.write(`warning: ${warning}\n`);
  const where = report.root === '/' ? '' : ` on the target system (files were written below ${report.root})`;
  process.stdout.write(`\nnext${where}, not run by ncupd:\n${next.map((c) => `  ${c}`).join('\n')}\n`);
}
