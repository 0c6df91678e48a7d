// One catalog of stable error codes (shared/design.md, "Errors"). Tests assert codes, never text;
// docs/errors.md lists every code and a test keeps the two in sync.

export interface ErrorDefinition {
  readonly message: string;
  readonly hint: string;
  /** Whether running the same thing again may succeed without the operator changing anything. */
  readonly retryable: boolean;
}

export const errorCatalog = {
  NCUPD_COMMAND_FAILED: {
    message: 'A command exited with a non-zero status.',
    hint: 'Read the command output in the log (debug level) and fix the cause; the error names the command.',
    retryable: false,
  },
  NCUPD_COMMAND_TIMEOUT: {
    message: 'A command did not finish within its time limit and was stopped.',
    hint: 'Check whether the machine is overloaded or the command waits for input; raise the timeout only if the work is really that slow.',
    retryable: true,
  },
  NCUPD_COMMAND_NOT_FOUND: {
    message: 'A program that ncupd needs is not installed on the host.',
    hint: 'Install the named program on the host (see docs/admin-guide.md, prerequisites).',
    retryable: false,
  },
  NCUPD_COMMAND_ABORTED: {
    message: 'A command was cancelled because ncupd is stopping or the run was cancelled.',
    hint: 'Nothing to fix: run again when ncupd is running.',
    retryable: true,
  },
  NCUPD_SSH_HOST_KEY_UNKNOWN: {
    message: 'The SSH host\'s key is not in the known_hosts file; nothing was run on it.',
    hint: 'Check the key out of band (on the host: `ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub`), then record it with `ncupd trust-host <instance>` (docs/ssh.md, "Host keys").',
    retryable: false,
  },
  NCUPD_SSH_HOST_KEY_CHANGED: {
    message: 'The SSH host presented a different key than the one recorded or pinned; nothing was run on it.',
    hint: 'Treat this as a possible interception until you know why: compare the fingerprint in the message with the host\'s own (`ssh-keygen -l -f /etc/ssh/ssh_host_*_key.pub` on its console). If the host was reinstalled, remove the old line from the known_hosts file (or change `fingerprint`) and run `ncupd trust-host`.',
    retryable: false,
  },
  NCUPD_SSH_CONNECT_FAILED: {
    message: 'The SSH connection could not be opened (refused, unreachable or no handshake in time).',
    hint: 'Check `host.ssh.host` and `port`, that sshd runs there and that a firewall lets ncupd through; the instance was not touched.',
    retryable: true,
  },
  NCUPD_SSH_AUTH_FAILED: {
    message: 'The SSH server did not accept ncupd\'s key.',
    hint: 'Put the public key of `identityFile` (or the agent\'s key) in the login user\'s authorized_keys on the host and check `host.ssh.user` (docs/ssh.md, "Setup").',
    retryable: false,
  },
  NCUPD_SSH_KEY_UNUSABLE: {
    message: 'The SSH private key or its passphrase file cannot be used: missing, not root-only, not a key, or the passphrase is wrong.',
    hint: 'The key and passphrase files must be regular files owned by root with mode 0600; the passphrase file holds the passphrase on its first line. Test with `ssh-keygen -y -f KEY`.',
    retryable: false,
  },
  NCUPD_SSH_CONNECTION_LOST: {
    message: 'The SSH connection ended while a command was running on the host; its outcome there is unknown.',
    hint: 'Nothing to decide by hand: `ncupd recover` (or the daemon at start) reconnects and finishes or undoes the transaction from its journal.',
    retryable: true,
  },
  NCUPD_SSH_TRANSFER_CORRUPT: {
    message: 'The release archive copied to the instance\'s host does not have the SHA-512 that was verified here; it was removed there and not used.',
    hint: 'Retry: the copy was damaged on the way or on the host\'s disk. If it repeats, check the host\'s disk and memory (dmesg) and free space in the work area.',
    retryable: true,
  },
  NCUPD_HOST_UNSUPPORTED: {
    message: 'This command or strategy cannot yet run on an instance reached over SSH.',
    hint: 'Over SSH, `ncupd check`, `fetch`, `trust-host`, `rollback`, `recover`, the daemon, and `now` with every strategy (archive, updater, git) work (docs/ssh.md, "Status"); this refusal is left for a command given another host than the instance\'s own. Nothing was changed on the instance.',
    retryable: false,
  },
  NCUPD_CONFIG_NOT_FOUND: {
    message: 'The configuration file does not exist.',
    hint: 'Create it (`ncupd install-service` writes a skeleton), pass another with --config, or describe one instance with --path.',
    retryable: false,
  },
  NCUPD_CONFIG_UNREADABLE: {
    message: 'The configuration file cannot be read or is not valid YAML.',
    hint: 'Fix the file at the line named; `ncupd config check` validates it without touching anything.',
    retryable: false,
  },
  NCUPD_CONFIG_INVALID: {
    message: 'The configuration does not match the schema.',
    hint: 'Every problem is listed with its place; see docs/configuration.md, then run `ncupd config check`.',
    retryable: false,
  },
  NCUPD_INSTANCE_UNKNOWN: {
    message: 'No instance of that name is configured.',
    hint: 'Use a name from the configuration (`ncupd config check` lists them).',
    retryable: false,
  },
  NCUPD_INSTANCE_NOT_FOUND: {
    message: 'No Nextcloud installation was found at the configured path.',
    hint: 'Point `path` at the install root, the folder that holds occ, version.php and config/config.php.',
    retryable: false,
  },
  NCUPD_INSTANCE_UNREADABLE: {
    message: 'The instance\'s config.php or version.php could not be read with its own PHP.',
    hint: 'Check `php` and `webUser` in the configuration: ncupd runs PHP as the owner of config.php, as occ requires.',
    retryable: false,
  },
  NCUPD_INSTANCE_NOT_INSTALLED: {
    message: 'The Nextcloud at this path is not installed yet.',
    hint: 'Finish the installation first; ncupd updates installed instances only.',
    retryable: false,
  },
  NCUPD_INSTALL_TYPE_UNSUPPORTED: {
    message: 'This Nextcloud is managed by something else (a container image, AIO, a snap or a distribution package).',
    hint: 'Update it through its own update path, named in the message; replacing its files would be undone or would break it.',
    retryable: false,
  },
  NCUPD_UPDATE_SERVER_HTTP: {
    message: 'The update server answered with an HTTP error.',
    hint: 'Retry later; if it persists, check `updateServer` (or config.php `updater.server.url`) and any proxy.',
    retryable: true,
  },
  NCUPD_UPDATE_SERVER_INVALID: {
    message: 'The update server\'s answer is not the XML Nextcloud\'s protocol defines.',
    hint: 'Check that `updateServer` points at an update server or a faithful mirror, not a web page or a login portal.',
    retryable: true,
  },
  NCUPD_UPDATE_SERVER_UNREACHABLE: {
    message: 'The update server could not be reached.',
    hint: 'Check DNS, routing, firewall and proxy from this host to the update server URL.',
    retryable: true,
  },
  NCUPD_UPDATE_SERVER_TIMEOUT: {
    message: 'The update server did not answer in time.',
    hint: 'Retry later; raise `download.timeoutSeconds` only for a known slow link.',
    retryable: true,
  },
  NCUPD_NO_RELEASE: {
    message: 'There is no release to fetch for this instance under its policy.',
    hint: 'Nothing to do; `ncupd check` tells why (up to date, held or blocked).',
    retryable: false,
  },
  NCUPD_PHP_UNSUPPORTED: {
    message: 'The target release does not run on the instance\'s PHP version.',
    hint: 'Upgrade PHP (and the web server\'s PHP-FPM) to a version the release accepts first; the message names the bounds from its lib/versioncheck.php.',
    retryable: false,
  },
  NCUPD_DOWNLOAD_FAILED: {
    message: 'The release archive could not be downloaded from any mirror.',
    hint: 'Each mirror\'s error is listed; check connectivity, or add a reachable mirror under `download.mirrors`.',
    retryable: true,
  },
  NCUPD_DOWNLOAD_TOO_LARGE: {
    message: 'The release archive is larger than the configured limit.',
    hint: 'Raise `download.maxBytes` only if the release is known to be that large; a huge archive is suspicious.',
    retryable: false,
  },
  NCUPD_SIGNATURE_MISSING: {
    message: 'The release has no signature to verify.',
    hint: 'Only signed releases are installed; unsigned channels (daily) need `policy.allowUnsigned: true`, never on production.',
    retryable: false,
  },
  NCUPD_SIGNATURE_INVALID: {
    message: 'The archive\'s signature does not verify against the pinned certificate.',
    hint: 'Do not install it: the download is corrupted or forged. Retry later; if it persists, report it to the mirror\'s operator.',
    retryable: true,
  },
  NCUPD_CERTIFICATE_INVALID: {
    message: 'The configured trust certificate cannot be used.',
    hint: 'Set `trust.certificate` to `builtin:nextcloud` or the path of a PEM certificate with an RSA key.',
    retryable: false,
  },
  NCUPD_CHECKSUM_MISMATCH: {
    message: 'The archive does not match its published checksum.',
    hint: 'Do not install it: the download is corrupted or the mirror is inconsistent. Retry later or use another mirror.',
    retryable: true,
  },
  NCUPD_CHECKSUM_MISSING: {
    message: 'No checksum file was published beside the archive, and checksums are required.',
    hint: 'Use a mirror that publishes `.sha512` files, or set `trust.checksums: if-available`.',
    retryable: false,
  },
  NCUPD_PGP_INVALID: {
    message: 'The archive\'s OpenPGP signature (.asc) is missing or does not verify.',
    hint: 'Do not install it. Nextcloud has signed a few releases with another key before: check the announcement, never accept a new key silently.',
    retryable: true,
  },
  NCUPD_PGP_KEY_MISMATCH: {
    message: 'The configured OpenPGP key file does not hold the pinned fingerprint.',
    hint: 'Get Nextcloud\'s release key from a trusted source and compare its fingerprint with `trust.pgpFingerprint`.',
    retryable: false,
  },
  NCUPD_ARCHIVE_UNSAFE: {
    message: 'The archive contains an entry that could write outside its folder or is not a plain file or folder.',
    hint: 'Do not install it: a genuine Nextcloud release never contains such entries. The entry is named in the message.',
    retryable: false,
  },
  NCUPD_RELEASE_MISMATCH: {
    message: 'The verified archive is not the release the update server offered.',
    hint: 'Do not install it: a genuine older release was offered under a newer version (a replay). Check `updateServer` and config.php `updater.server.url`.',
    retryable: false,
  },
  NCUPD_ARCHIVE_CORRUPT: {
    message: 'The archive cannot be read.',
    hint: 'Delete it from the cache (`ncupd fetch` downloads it again) and retry.',
    retryable: true,
  },
  NCUPD_DATABASE_UNREACHABLE: {
    message: 'The instance\'s database cannot be reached with its own credentials.',
    hint: 'Check that the database server runs and that config.php dbhost, dbuser and dbpassword are right; the server\'s own words are in the message.',
    retryable: true,
  },
  NCUPD_SNAPSHOT_FAILED: {
    message: 'A snapshot could not be taken; no backup, no update.',
    hint: 'Read the tool\'s message (disk space, credentials, permissions); nothing on the instance was changed by the update.',
    retryable: true,
  },
  NCUPD_DATA_SNAPSHOT_REFUSED: {
    message: 'The configured data-snapshot method would not snapshot exactly this instance\'s data directory; no backup, no update.',
    hint: 'The detail says why (for example: the data directory is not the root of its own btrfs subvolume, ZFS dataset or thin volume). `ncupd check` names the filesystem and the method that fits; change `dataSnapshot.method` or the storage.',
    retryable: false,
  },
  NCUPD_SNAPSHOT_INVALID: {
    message: 'A snapshot does not match its manifest or is incomplete.',
    hint: 'Do not restore from it. Check the disk holding the state directory; take a new snapshot.',
    retryable: false,
  },
  NCUPD_RESTORE_FAILED: {
    message: 'Restoring a snapshot failed.',
    hint: 'The instance stays in maintenance mode. The snapshot is kept; the message says which step failed and docs/operations.md how to restore by hand.',
    retryable: true,
  },
  NCUPD_LOCKED: {
    message: 'Another ncupd transaction is running on this instance.',
    hint: 'Wait for it to finish (`ncupd status`); the message names its process and transaction. A lock of a dead process is taken over automatically.',
    retryable: true,
  },
  NCUPD_ROLLOUT_HALTED: {
    message: 'The rollout is halted: an instance ended rolled back, rollback-failed or failed, and no further instance starts until an operator resumes it.',
    hint: 'Look at the instance the message names (`ncupd status`, `ncupd history --instance NAME`), fix the cause (for example hold or remove the bad release), then run `ncupd rollout resume` and `ncupd rollout` (docs/fleets.md).',
    retryable: false,
  },
  NCUPD_ROLLOUT_NOT_CONFIGURED: {
    message: 'The configuration has no `rollout` section.',
    hint: 'Add `rollout:` with its rings to the configuration (docs/fleets.md), or update instances one by one with `ncupd now`.',
    retryable: false,
  },
  NCUPD_JOURNAL_FAILED: {
    message: 'The transaction journal could not be written durably.',
    hint: 'Check the disk and permissions of the state directory; ncupd does not change an instance it cannot journal.',
    retryable: true,
  },
  NCUPD_PREFLIGHT_FAILED: {
    message: 'A precondition of the update does not hold; nothing was changed.',
    hint: 'The message names the precondition (disk space, permissions, a leftover of the official updater); fix it and run again.',
    retryable: false,
  },
  NCUPD_STAGING_FAILED: {
    message: 'The new release could not be unpacked and prepared beside the live tree; nothing was changed.',
    hint: 'Check free space and permissions of the folder above the install root, where ncupd keeps its root-only work area.',
    retryable: true,
  },
  NCUPD_MAINTENANCE_FAILED: {
    message: 'Maintenance mode could not be switched, or the switch did not take effect.',
    hint: 'Check config_is_read_only and maintenance overrides in *.config.php or NC_ environment variables (contract pitfall 19).',
    retryable: true,
  },
  NCUPD_APPLY_FAILED: {
    message: 'Putting the new code in place failed.',
    hint: 'The run was rolled back (see the result); the message names the step.',
    retryable: true,
  },
  NCUPD_UPGRADE_FAILED: {
    message: '`occ upgrade` failed.',
    hint: 'The run was rolled back; read the occ output in the message (a failing migration, an incompatible shipped app).',
    retryable: false,
  },
  NCUPD_GIT_TAG_UNVERIFIED: {
    message: 'The release tag of a git checkout could not be verified: no good signature by a pinned key, or not the pinned commit; nothing was changed.',
    hint: 'Check `git.keyring` (it must hold the release signers\' public keys) or `git.pinnedCommits` for this version, and that the remote is the one you trust; an unsigned tag needs a pinned commit.',
    retryable: false,
  },
  NCUPD_GIT_DIRTY_TREE: {
    message: 'The git checkout has local modifications; nothing was changed.',
    hint: 'The message names the files: commit them and list the commits under `git.patches`, remove them, or set `git.allowDirty: true` to update anyway (the modifications stay only in the old tree).',
    retryable: false,
  },
  NCUPD_GIT_PATCH_CONFLICT: {
    message: 'A carried patch does not apply to the new release tag; the update stopped before the window and nothing was changed.',
    hint: 'The message names the patch and the conflicting files: rebase the patch onto the new tag (or drop it from `git.patches`), then run again.',
    retryable: false,
  },
  NCUPD_GIT_CHECKOUT_MISMATCH: {
    message: 'After the swap the checkout\'s HEAD or a submodule commit is not what the verified tag (and the carried patches) made.',
    hint: 'The run was rolled back; compare `git log -1` and `git submodule status` in the staged tree with the tag, and report it with the log.',
    retryable: false,
  },
  NCUPD_CHECK_FAILED: {
    message: 'The upgraded instance failed a health check.',
    hint: 'The run was rolled back; the message lists each failed check with its reason.',
    retryable: false,
  },
  NCUPD_FINAL_PROBE_FAILED: {
    message: 'After maintenance was turned off, the instance did not serve the new version.',
    hint: 'Nobody could have written through a broken instance, so it was rolled back; check the web server and PHP-FPM (the reload hook).',
    retryable: false,
  },
  NCUPD_STAGE_TIMEOUT: {
    message: 'A stage did not finish within its time limit.',
    hint: 'The run was stopped and rolled back; the message names the stage. A hanging `occ upgrade` is a bug of the release or an app.',
    retryable: true,
  },
  NCUPD_UPDATER_FAILED: {
    message: 'The official updater (updater.phar) failed.',
    hint: 'The run was rolled back; the updater\'s own message is quoted. `.step` leftovers are removed by ncupd when it rolls back.',
    retryable: false,
  },
  NCUPD_UPDATER_STEP_UNSAFE: {
    message: 'A leftover `.step` of the official updater cannot be cleared safely: an updater runs, or the code on disk is no longer the installed version as a whole.',
    hint: 'The message names what failed. If an updater runs, let it finish. Otherwise the code is half-replaced: finish with the official updater (`sudo -u www-data php updater/updater.phar`) or restore the code from a backup, then check again with `ncupd clear-updater-step`.',
    retryable: false,
  },
  NCUPD_UNFINISHED_TRANSACTION: {
    message: 'An earlier transaction on this instance did not finish.',
    hint: 'Run `ncupd recover --instance <name>` (the daemon does it at start): it finishes or undoes the transaction from its journal, named in the message. If recovery reports what it waits for (a database server), bring that back.',
    retryable: true,
  },
  NCUPD_NO_SNAPSHOT: {
    message: 'There is no snapshot to roll back to.',
    hint: '`ncupd history` lists the runs; retention keeps the snapshots and old code trees of the newest `snapshots.keep` updates.',
    retryable: false,
  },
  NCUPD_DAEMON_UNREACHABLE: {
    message: 'The ncupd daemon did not answer on its control socket.',
    hint: 'Check `systemctl status ncupd` and the socket path (`daemon.controlSocket`); without a daemon, `ncupd now` runs in the foreground.',
    retryable: true,
  },
  NCUPD_RESOURCE_UNAVAILABLE: {
    message: 'A rollback waits for a resource that is missing (the database server, or the instance\'s host over SSH).',
    hint: 'The instance stays in maintenance mode and the transaction stays open; bring the resource back (the message names it) and run `ncupd recover`, or let the daemon retry.',
    retryable: true,
  },
  NCUPD_DISK_FULL: {
    message: 'A disk filled up during the run.',
    hint: 'The message names the path. Free space there (ncupd needs room for the staged release beside the install root and for the snapshot in the state directory) and run again; the instance was rolled back or never changed.',
    retryable: true,
  },
  NCUPD_USAGE: {
    message: 'The command line is not valid.',
    hint: 'Run `ncupd --help` for the commands and options.',
    retryable: false,
  },
  NCUPD_TOKEN_MISSING: {
    message: 'The API token file of the status endpoint does not exist, cannot be read or is empty.',
    hint: '`ncupd install-service` creates it; or write at least 32 random characters to the file named, owned by root, mode 0600.',
    retryable: false,
  },
  NCUPD_TOKEN_INSECURE: {
    message: 'The API token file of the status endpoint is not safe to use: not owned by root, open to group or others, a symlink, or too short.',
    hint: 'Run `chown root:root FILE && chmod 600 FILE` on the file named (and use at least 32 random characters); the message says which rule it breaks.',
    retryable: false,
  },
  NCUPD_NOTIFY_FAILED: {
    message: 'A notification could not be delivered.',
    hint: 'The message names the notifier (`webhook[0]`, `email[1]`...) and the answer it got; check its URL or server, credentials and network. The run itself is not affected; other notifiers were still tried.',
    retryable: true,
  },
  NCUPD_NOTIFY_DEFERRED: {
    message: 'The Nextcloud notifier cannot deliver now: the instance is in maintenance mode, needs an upgrade or does not answer.',
    hint: 'Nothing to fix in the notifier: Nextcloud cannot show notifications while it is down, which is why webhook and email notifiers exist. Configure one of them to hear about failures.',
    retryable: true,
  },
  NCUPD_NOTIFY_SECRET_UNSAFE: {
    message: 'The token or password file of a notifier is missing, empty, or not root-only: not owned by root, open to group or others, or a symlink.',
    hint: 'Run `chown root:root FILE && chmod 600 FILE` on the file named, with the token or password on its first line.',
    retryable: false,
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalog, value);
}
