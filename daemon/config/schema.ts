import { z } from 'zod';

// One schema for the configuration file (shared/style.md, point 6): types, defaults and the
// words of docs/configuration.md (generated from it). Unknown keys are refused everywhere.

export const NEXTCLOUD_UPDATE_SERVER = 'https://updates.nextcloud.com/updater_server/';
/** Nextcloud Security's release key (contract 3.1). */
export const NEXTCLOUD_PGP_FINGERPRINT = '28806A878AE423A28372792ED75899B9A724937A';

const absolutePath = z.string().regex(/^\//, { message: 'expected an absolute path' });

export const policySchema = z.strictObject({
  majors: z.enum(['hold', 'allow']).default('hold')
    .describe('`hold`: report a new major and wait for approval; `allow`: apply it (one major per run, re-querying after each hop).'),
  allowUnsigned: z.boolean().default(false)
    .describe('Accept releases without a signature (the `daily` channel). Never on production.'),
  apps: z.enum(['hold', 'warn', 'ignore']).default('hold')
    .describe('When the target would disable an enabled third-party app: `hold` a major (patch releases only warn), `warn` and go on, or `ignore`.'),
});

export const trustSchema = z.strictObject({
  certificate: z.string().default('builtin:nextcloud')
    .describe('Certificate whose key must have signed the archive: `builtin:nextcloud` (Nextcloud\'s `core` certificate) or the path of a PEM file (private builds, tests).'),
  checksums: z.enum(['required', 'if-available', 'off']).default('if-available')
    .describe('Check the `.sha512` file published beside the archive: `required` refuses a release without one.'),
  pgpKeyFile: absolutePath.optional()
    .describe('ASCII-armoured public key to check the `.asc` signature with; OpenPGP is checked only when this is set.'),
  pgpFingerprint: z.string().regex(/^[0-9A-F]{40}$/, { message: 'expected 40 upper-case hex digits' }).default(NEXTCLOUD_PGP_FINGERPRINT)
    .describe('Fingerprint the key file must have (default: Nextcloud Security\'s release key).'),
});

export const downloadSchema = z.strictObject({
  maxBytes: z.number().int().positive().default(2 * 1024 ** 3)
    .describe('Largest archive accepted, in bytes.'),
  timeoutSeconds: z.number().positive().default(30)
    .describe('Time limit for the update server\'s answer and for each stalled download.'),
  mirrors: z.array(z.string().url()).default([])
    .describe('Extra base URLs tried after the update server\'s own download URLs (the archive\'s file name is appended).'),
  maxExpandedBytes: z.number().int().positive().default(8 * 1024 ** 3)
    .describe('Largest total unpacked size an archive may declare (zip-bomb guard), in bytes.'),
});

export const checksSchema = z.strictObject({
  commands: z.array(z.strictObject({
    name: z.string().min(1).describe('Name shown in results.'),
    command: z.array(z.string()).min(1).describe('Program and arguments (no shell); exit 0 means healthy.'),
    asWebUser: z.boolean().default(true).describe('Run as the web server user (else as root).'),
    timeoutSeconds: z.number().positive().default(60).describe('Time limit.'),
  })).default([]).describe('Commands run on the instance host after the upgrade, inside the window.'),
  http: z.array(z.strictObject({
    name: z.string().min(1).describe('Name shown in results.'),
    url: z.string().min(1).describe('Absolute URL, or a path relative to the instance URL.'),
    expectStatus: z.number().int().default(200).describe('HTTP status that means healthy.'),
    contains: z.string().optional().describe('Text the body must contain.'),
    timeoutSeconds: z.number().positive().default(10).describe('Time limit.'),
  })).default([]).describe('HTTP probes run after maintenance is off (the final probe).'),
});

export const snapshotSchema = z.strictObject({
  keep: z.number().int().min(1).default(3).describe('Snapshots (and old code trees) kept per instance; older ones are pruned after a successful run.'),
});

export const dataSnapshotSchema = z.strictObject({
  method: z.enum(['auto', 'btrfs', 'zfs', 'lvm', 'hardlink', 'appdata', 'none']).default('auto')
    .describe('How the data directory is snapshotted inside the window (docs/admin-guide.md, "Data snapshots"): `btrfs`, `zfs`, `lvm` (copy-on-write; the data directory must be the root of its own subvolume, dataset or thin volume), `hardlink` (a hard-link tree; time grows with the file count), `appdata` (app data only, user files not covered), `none` (opt out, reported as a risk). `auto` picks btrfs, zfs or lvm when one snapshots exactly this data directory, else takes none and reports the risk.'),
});

export const databaseSnapshotSchema = z.strictObject({
  method: z.enum(['dump', 'btrfs']).default('dump')
    .describe('`dump`: the database\'s own dump tool (mysqldump, pg_dump, SQLite backup). `btrfs`: a read-only snapshot of the database server\'s data directory (MariaDB under FLUSH TABLES WITH READ LOCK, PostgreSQL crash-consistent), in constant time; only where that directory is a btrfs subvolume of its own and the server holds no other database (checked every run), and restore stops and starts the server.'),
  serverDataDir: absolutePath.optional().describe('`btrfs`: the server\'s data directory (MariaDB `datadir`; PostgreSQL `data_directory`, with `pg_wal` inside).'),
  adminDefaultsFile: absolutePath.optional().describe('`btrfs` on MariaDB: a root-only client option file with an administrator login (RELOAD, SHOW DATABASES), for example `/etc/mysql/debian.cnf`.'),
  pgAdmin: z.strictObject({
    role: z.string().min(1).default('postgres').describe('Role that lists every database.'),
    host: z.string().min(1).default('/run/postgresql').describe('Socket directory or host.'),
    port: z.number().int().min(1).max(65535).default(5432).describe('Port.'),
    osUser: z.string().optional().describe('Run psql as this OS user (peer authentication).'),
    passwordFile: absolutePath.optional().describe('Root-only pgpass file instead.'),
  }).optional().describe('`btrfs` on PostgreSQL: how ncupd lists the server\'s databases.'),
  stopCommand: z.array(z.string()).min(1).optional().describe('`btrfs`: stops the database server for a restore, for example `[systemctl, stop, mariadb]`.'),
  startCommand: z.array(z.string()).min(1).optional().describe('`btrfs`: starts it again.'),
}).refine((value) => value.method === 'dump' || (value.serverDataDir !== undefined && value.stopCommand !== undefined && value.startCommand !== undefined),
  { message: 'method btrfs needs serverDataDir, stopCommand and startCommand' });

export const windowSchema = z.strictObject({
  cron: z.string().min(9).describe('When the window opens, as a 5-field cron expression (minute hour day month weekday), for example `0 3 * * *`.'),
  timezone: z.string().optional().describe('IANA time zone of the expression (for example `Europe/Berlin`); default: the server\'s.'),
  durationMinutes: z.number().int().min(5).max(24 * 60).default(120).describe('How long the window stays open; a transaction starts only inside it.'),
});

const fullCommit = z.string().regex(/^[0-9a-f]{40}$/, { message: 'expected a full commit id (40 lower-case hex digits)' });

export const gitSchema = z.strictObject({
  remote: z.string().min(1).optional()
    .describe('Where release tags are fetched from (URL or path on the instance host); default: the checkout\'s `origin`.'),
  tagPattern: z.string().regex(/\{version\}/, { message: 'expected a pattern containing {version}' }).default('v{version}')
    .describe('Tag name of a release; `{version}` is the public version the policy chose (`33.0.6`).'),
  keyring: absolutePath.optional()
    .describe('ASCII-armoured public keys (on the instance host) whose signatures make a tag trusted: `git verify-tag` runs against a keyring holding only these keys.'),
  pinnedCommits: z.record(z.string(), fullCommit).default({})
    .describe('For repositories without signed tags: the commit each version\'s tag must point at (`{ "33.0.6": "<40 hex>" }`). A pin decides alone (a tag that differs is refused, signed or not); with neither a pin nor a keyring a tag is refused.'),
  allowDirty: z.boolean().default(false)
    .describe('Update a checkout with local modifications anyway (they are not carried: the old tree keeps them). Default: refuse and name the files.'),
  allowFileProtocol: z.boolean().default(false)
    .describe('Let submodules be cloned from local paths (`protocol.file.allow=always`), for mirrors on the same machine; off by default as git has it.'),
  patches: z.array(z.union([
    z.strictObject({ commit: fullCommit.describe('A commit of the checkout (or of the remote), cherry-picked.') }),
    z.strictObject({ file: absolutePath.describe('A patch in `git format-patch` form (on the instance host), applied with `git am -3`.') }),
  ])).default([])
    .describe('Local changes re-applied, in order, onto each new tag while staging; a conflict stops the update before the window.'),
});

export const sshSchema = z.strictObject({
  host: z.string().min(1).describe('Host name or address of the machine the instance runs on.'),
  port: z.number().int().min(1).max(65535).default(22).describe('SSH port.'),
  user: z.string().min(1).default('root').describe('Login user. Another user than root needs the sudoers entry of docs/ssh.md: `occ` runs through `sudo -u <webUser>`, ncupd\'s own steps through `sudo`.'),
  identityFile: absolutePath.optional().describe('Private key file on this machine (root-only, mode 0600).'),
  passphraseFile: absolutePath.optional().describe('Root-only file with the key\'s passphrase on its first line.'),
  agent: z.boolean().default(false).describe('Authenticate with the SSH agent named by `SSH_AUTH_SOCK` in ncupd\'s environment.'),
  knownHostsFile: absolutePath.default('/etc/ncupd/known_hosts').describe('known_hosts file the host key must be listed in (plain or hashed, `[host]:port` for other ports); `ncupd trust-host` adds to it.'),
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, { message: 'expected SHA256: and 43 base64 characters, as ssh-keygen -l prints it' }).optional()
    .describe('Pinned host key fingerprint (`SHA256:...`); when set, it is checked instead of `knownHostsFile`.'),
  keepaliveSeconds: z.number().int().min(1).default(15).describe('Interval of SSH keepalives; three unanswered ones end the connection (the next command reconnects).'),
  connectTimeoutSeconds: z.number().int().min(1).default(20).describe('Time limit for connecting and the SSH handshake.'),
}).refine((ssh) => ssh.identityFile !== undefined || ssh.agent, { message: 'expected identityFile, or agent: true' });

export const hostSchema = z.strictObject({
  ssh: sshSchema.describe('Reach the instance over SSH (docs/ssh.md): strict host keys, key authentication, sudo for other users.'),
});

export const instanceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'expected a short name of a-z, 0-9, ".", "_" and "-"' })
    .describe('Name used in commands (`--instance`), logs and status.'),
  host: hostSchema.optional().describe('Where the instance runs; absent: on this machine.'),
  path: absolutePath.describe('Install root of the Nextcloud instance (the folder with `occ`).'),
  webUser: z.string().min(1).default('www-data').describe('User that owns config.php and runs PHP; `occ` runs as this user.'),
  php: z.string().min(1).default('php').describe('PHP binary of the web server\'s version (for example `/usr/bin/php8.2`).'),
  url: z.string().url().optional().describe('Base URL for status.php and the login page; default: config.php `overwrite.cli.url`.'),
  updateServer: z.string().url().optional().describe('Update server or mirror; default: config.php `updater.server.url`, else Nextcloud\'s.'),
  channel: z.string().optional().describe('Release channel; default: config.php `updater.release.channel`, else version.php.'),
  strategy: z.enum(['archive', 'updater', 'git']).default('archive').describe('How new code is put in place (`git`: a git checkout, updated to the release tag).'),
  git: gitSchema.prefault({}).describe('The git strategy: where tags come from and what makes one trusted.'),
  policy: policySchema.prefault({}).describe('What may be applied without a human.'),
  trust: trustSchema.prefault({}).describe('What makes a downloaded archive trustworthy.'),
  download: downloadSchema.prefault({}).describe('Download limits and extra mirrors.'),
  reloadCommand: z.array(z.string()).min(1).optional()
    .describe('Runs after the code swap and after a rollback swap, before any check (for example `[systemctl, reload, php8.2-fpm]`): PHP-FPM with opcache serves cached old code otherwise.'),
  checks: checksSchema.prefault({}).describe('Operator-defined health checks, beside the built-in ones.'),
  snapshots: snapshotSchema.prefault({}).describe('Snapshot retention.'),
  dataSnapshot: dataSnapshotSchema.prefault({}).describe('Snapshot of the data directory, restored by a rollback in the window.'),
  databaseSnapshot: databaseSnapshotSchema.prefault({}).describe('How the database is snapshotted: a dump (default) or a filesystem snapshot of its server\'s data directory.'),
  windows: z.array(windowSchema).default([{ cron: '0 3 * * *', durationMinutes: 120 }])
    .describe('Maintenance windows in which the daemon may apply an update (`ncupd now` ignores them). Default: every night at 03:00 server time, for two hours.'),
  soakHours: z.number().min(0).default(72)
    .describe('The daemon applies a release only this long after it first saw it offered (others find its problems first); 0 opts out.'),
  rollbackWaitSeconds: z.number().int().min(0).default(3600).describe('How long a rollback waits (retrying with backoff) for a missing resource such as a stopped database server or an SSH host that cannot be reached before it leaves the instance in maintenance for `ncupd recover` or the daemon to finish.'),
  cronWaitSeconds: z.number().min(0).default(300).describe('How long to wait for a running cron.php of the instance after maintenance is on.'),
  finalProbeSeconds: z.number().min(1).default(30)
    .describe('How long the final probe retries after maintenance is off: PHP with opcache sees the changed config.php only after `opcache.revalidate_freq` seconds unless the reload hook resets it.'),
});

const WHEN_TEXT = '`on-failure`: failed, rolled-back and rollback-failed runs, and alerts (a rollback waiting for the database); `always`: also updated runs and blocked decisions.';

export const notificationSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('webhook'),
    url: z.string().url().describe('Where the request goes: any URL (`generic`, a JSON POST); the topic URL (`ntfy`, `https://ntfy.sh/<topic>`); or `https://<server>/_matrix/client/v3/rooms/<room id>/send/m.room.message` (`matrix`, ncupd appends a transaction id and PUTs).'),
    preset: z.enum(['generic', 'ntfy', 'matrix']).default('generic').describe('Body shape: ncupd\'s JSON, an ntfy message, or a Matrix `m.room.message`.'),
    tokenFile: absolutePath.optional().describe('Root-only file with a bearer token sent as `Authorization: Bearer` (Matrix access token, ntfy token).'),
    when: z.enum(['always', 'on-failure']).default('on-failure').describe(WHEN_TEXT),
  }),
  z.strictObject({
    type: z.literal('email'),
    host: z.string().min(1).describe('SMTP server.'),
    port: z.number().int().min(1).max(65535).default(587).describe('SMTP port.'),
    secure: z.enum(['starttls', 'tls', 'none']).default('starttls').describe('Transport security; `none` only for a relay on localhost.'),
    user: z.string().optional().describe('SMTP login.'),
    passwordFile: absolutePath.optional().describe('Root-only file with the SMTP password.'),
    from: z.string().min(3).describe('Sender address.'),
    to: z.array(z.string().min(3)).min(1).describe('Recipients.'),
    when: z.enum(['always', 'on-failure']).default('on-failure').describe(WHEN_TEXT),
  }),
  z.strictObject({
    type: z.literal('nextcloud'),
    users: z.array(z.string().min(1)).min(1).describe('Nextcloud users (admins) who get an admin notification (`occ notification:generate`), sent only once maintenance is off.'),
    when: z.enum(['always', 'on-failure']).default('always').describe(WHEN_TEXT),
  }),
]);

export const daemonSchema = z.strictObject({
  checkSchedule: z.string().min(9).default('17 */6 * * *').describe('When the daemon asks the update servers, as a 5-field cron expression.'),
  jitterSeconds: z.number().int().min(0).default(600).describe('Random delay added to each scheduled check and window start, so many servers do not hit the update server at once.'),
  controlSocket: absolutePath.default('/run/ncupd/control.sock').describe('Unix socket the CLI talks to (root, mode 0660).'),
  operatorGroup: z.string().optional().describe('Group that owns the control socket, so its members may run `ncupd now`, `status` and `pause` without root.'),
  statusListen: z.string().default('127.0.0.1').describe('Address of the status endpoint (`/status`, `/metrics`, `/healthz`, `/`).'),
  statusPort: z.number().int().min(0).max(65535).default(8765).describe('Port of the status endpoint; 0 turns it off.'),
  tokenFile: absolutePath.default('/etc/ncupd/token').describe('Root-only file with the bearer token that state-changing requests (`POST /runs`) need.'),
  heartbeatUrl: z.string().url().optional().describe('Pinged (GET) after every successful check, so an external monitor raises an alarm when ncupd falls silent.'),
  logFormat: z.enum(['auto', 'journal', 'human', 'json']).default('auto').describe('`auto`: journald priority prefixes under systemd, human-readable on a terminal.'),
});

export const rolloutSchema = z.strictObject({
  rings: z.array(z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'expected a short name of a-z, 0-9, ".", "_" and "-"' }).describe('Name shown in status and logs (for example `canary`).'),
    instances: z.array(z.string().min(1)).min(1).describe('Instance names or glob patterns (`*`, `?`), for example `[cloud-01, "eu-*"]`. An instance belongs to the first ring that matches it, so `"*"` in the last ring means "all the others".'),
  })).min(1).describe('The rings in order. Every instance must be matched by a ring, and every name and pattern must match an instance (a typo is refused, not skipped).'),
  soakMinutes: z.number().min(0).default(60).describe('Time between the end of one ring and the start of the next (it counts from the ring\'s recorded end, so a restart keeps it).'),
  parallel: z.number().int().min(1).default(1).describe('Most transactions running at once within a ring.'),
});

export const configSchema = z.strictObject({
  stateDir: absolutePath.default('/var/lib/ncupd').describe('Journal, history and snapshots (root only).'),
  cacheDir: absolutePath.default('/var/cache/ncupd').describe('Verified release archives, keyed by their SHA-512.'),
  instances: z.array(instanceSchema).min(1, { message: 'expected at least one instance' }).describe('The Nextcloud instances ncupd manages.'),
  daemon: daemonSchema.prefault({}).describe('The long-running service (`ncupd daemon`).'),
  notifications: z.array(notificationSchema).default([]).describe('Where the operator hears about runs, even when Nextcloud is down.'),
  rollout: rolloutSchema.optional().describe('Update the instances in rings (docs/fleets.md): a ring starts only after the previous one succeeded and soaked; any instance that rolls back halts the rollout until `ncupd rollout resume`.'),
});

export type NcupdConfig = z.output<typeof configSchema>;
export type InstanceConfig = z.output<typeof instanceSchema>;
export type SshConfig = z.output<typeof sshSchema>;
export type PolicyConfig = z.output<typeof policySchema>;
export type TrustConfig = z.output<typeof trustSchema>;
export type DaemonConfig = z.output<typeof daemonSchema>;
export type NotificationConfig = z.output<typeof notificationSchema>;
export type WindowConfig = z.output<typeof windowSchema>;
export type RolloutConfig = z.output<typeof rolloutSchema>;
export type GitConfig = z.output<typeof gitSchema>;
