import type { InstanceConfig } from '../config/schema.js';
import { NcupdError } from '../errors/ncupd-error.js';
import type { Host } from '../hosts/host.js';
import { parseOccJson } from './occ-json.js';

export interface DatabaseCredentials {
  readonly user: string;
  readonly password: string;
}

// Prints only the two values, as JSON; the caller registers the password as a secret for every
// later command, so it is masked wherever a command line or output is shown.
const CREDENTIALS_PROBE = String.raw`<?php
$dir = rtrim($argv[1], '/') . '/config';
$read = function ($file) { $CONFIG = []; include $file; return is_array($CONFIG) ? $CONFIG : []; };
$merged = $read("$dir/config.php");
$extra = glob("$dir/*.config.php") ?: [];
natsort($extra);
foreach ($extra as $file) { $merged = array_merge($merged, $read($file)); }
echo json_encode(['user' => (string)($merged['dbuser'] ?? ''), 'password' => (string)($merged['dbpassword'] ?? '')]);
`;

/** The instance's own database login, read by PHP on the target from config.php and *.config.php. */
export async function readDatabaseCredentials(host: Host, instance: InstanceConfig): Promise<DatabaseCredentials> {
  const result = await host.run({ file: instance.php, args: ['--', instance.path], input: CREDENTIALS_PROBE, user: instance.webUser, reject: false, timeoutMs: 60_000 });
  const parsed = parseOccJson<DatabaseCredentials>(result.stdout);
  if (result.exitCode !== 0 || !parsed) {
    throw new NcupdError('NCUPD_INSTANCE_UNREADABLE', { instance: instance.name, stage: 'preflight', detail: `could not read the database login from ${instance.path}/config (exit ${result.exitCode ?? result.signal})` });
  }
  return parsed;
}
