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

export const instanceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'expected a short name of a-z, 0-9, ".", "_" and "-"' })
    .describe('Name used in commands (`--instance`), logs and status.'),
  path: absolutePath.describe('Install root of the Nextcloud instance (the folder with `occ`).'),
  webUser: z.string().min(1).default('www-data').describe('User that owns config.php and runs PHP; `occ` runs as this user.'),
  php: z.string().min(1).default('php').describe('PHP binary of the web server\'s version (for example `/usr/bin/php8.2`).'),
  url: z.string().url().optional().describe('Base URL for status.php and the login page; default: config.php `overwrite.cli.url`.'),
  updateServer: z.string().url().optional().describe('Update server or mirror; default: config.php `updater.server.url`, else Nextcloud\'s.'),
  channel: z.string().optional().describe('Release channel; default: config.php `updater.release.channel`, else version.php.'),
  strategy: z.enum(['archive', 'updater']).default('archive').describe('How new code is put in place.'),
  policy: policySchema.prefault({}).describe('What may be applied without a human.'),
  trust: trustSchema.prefault({}).describe('What makes a downloaded archive trustworthy.'),
  download: downloadSchema.prefault({}).describe('Download limits and extra mirrors.'),
  reloadCommand: z.array(z.string()).min(1).optional()
    .describe('Runs after the code swap and after a rollback swap, before any check (for example `[systemctl, reload, php8.2-fpm]`): PHP-FPM with opcache serves cached old code otherwise.'),
  checks: checksSchema.prefault({}).describe('Operator-defined health checks, beside the built-in ones.'),
  snapshots: snapshotSchema.prefault({}).describe('Snapshot retention.'),
  rollbackWaitSeconds: z.number().int().min(0).default(3600).describe('How long a rollback waits (retrying with backoff) for a missing resource such as a stopped database server before it leaves the instance in maintenance for `ncupd recover` or the daemon to finish.'),
  cronWaitSeconds: z.number().min(0).default(300).describe('How long to wait for a running cron.php of the instance after maintenance is on.'),
  finalProbeSeconds: z.number().min(1).default(30)
    .describe('How long the final probe retries after maintenance is off: PHP with opcache sees the changed config.php only after `opcache.revalidate_freq` seconds unless the reload hook resets it.'),
});

export const configSchema = z.strictObject({
  stateDir: absolutePath.default('/var/lib/ncupd').describe('Journal, history and snapshots (root only).'),
  cacheDir: absolutePath.default('/var/cache/ncupd').describe('Verified release archives, keyed by their SHA-512.'),
  instances: z.array(instanceSchema).min(1, { message: 'expected at least one instance' }).describe('The Nextcloud instances ncupd manages.'),
});

export type NcupdConfig = z.output<typeof configSchema>;
export type InstanceConfig = z.output<typeof instanceSchema>;
export type PolicyConfig = z.output<typeof policySchema>;
export type TrustConfig = z.output<typeof trustSchema>;
