// The discovery probe: PHP that reads what Nextcloud reads, the way Nextcloud reads it
// (contract 6.1/6.2: include version.php and config.php, merge every *.config.php in natural
// order), run on the target by the instance's own PHP as the owner of config.php. It prints
// JSON with a whitelist of config keys: secrets (dbpassword, secret, passwordsalt...) never
// leave the target through it, only whether a database password is set.

export const PROBE_KEYS = [
  'version', 'installed', 'instanceid', 'datadirectory', 'dbtype', 'dbhost', 'dbname', 'dbuser', 'dbtableprefix',
  'mysql.utf8mb4', 'sqlite.journal_mode', 'maintenance', 'overwrite.cli.url', 'updater.server.url',
  'updater.release.channel', 'apps_paths', 'updatedirectory', 'has_internet_connection', 'config_is_read_only',
  'integrity.check.disabled', 'upgrade.disable-web', 'trusted_domains',
] as const;

export const PHP_PROBE = String.raw`<?php
$root = rtrim($argv[1], '/');
$out = ['php' => ['version' => PHP_VERSION, 'id' => PHP_VERSION_ID, 'major' => PHP_MAJOR_VERSION, 'minor' => PHP_MINOR_VERSION, 'release' => PHP_RELEASE_VERSION, 'binary' => PHP_BINARY],
	'user' => function_exists('posix_geteuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? null) : null];
if (!is_file("$root/version.php") || !is_file("$root/occ")) { $out['error'] = 'no-nextcloud'; echo json_encode($out); exit(0); }
$version = (function ($file) {
	$OC_Version = null; $OC_VersionString = null; $OC_Channel = null; $OC_Build = null; $OC_VersionCanBeUpgradedFrom = null; $vendor = null;
	try { include $file; } catch (\Throwable $e) { echo json_encode(['error' => 'version-unreadable', 'line' => $e->getLine()]); exit(0); }
	return ['version' => $OC_Version, 'versionString' => $OC_VersionString, 'channel' => $OC_Channel, 'build' => $OC_Build, 'canBeUpgradedFrom' => $OC_VersionCanBeUpgradedFrom, 'vendor' => $vendor];
})("$root/version.php");
$out['versionPhp'] = $version;
$configDir = "$root/config";
$files = [];
$merged = [];
$origin = [];
if (is_file("$configDir/config.php")) {
	// A syntax error in a config file must not echo its text (it may be the password's line): only file and line leave.
	$read = function ($file) use (&$out) {
		$CONFIG = [];
		try { include $file; } catch (\Throwable $e) { echo json_encode(['error' => 'config-unreadable', 'file' => basename($file), 'line' => $e->getLine()]); exit(0); }
		return is_array($CONFIG) ? $CONFIG : [];
	};
	$files[] = 'config.php';
	foreach ($read("$configDir/config.php") as $k => $v) { $merged[$k] = $v; $origin[$k] = 'config.php'; }
	$extra = glob("$configDir/*.config.php") ?: [];
	natsort($extra);
	foreach ($extra as $file) {
		$files[] = basename($file);
		foreach ($read($file) as $k => $v) { $merged[$k] = $v; $origin[$k] = basename($file); }
	}
	$out['configOwner'] = posix_getpwuid(fileowner("$configDir/config.php"))['name'] ?? (string)fileowner("$configDir/config.php");
}
$keys = json_decode($argv[2], true);
$config = [];
foreach ($keys as $k) { if (array_key_exists($k, $merged)) { $config[$k] = $merged[$k]; } }
$out['config'] = $config;
$out['configFiles'] = $files;
$out['configOrigin'] = array_intersect_key($origin, $config);
$out['hasDbPassword'] = isset($merged['dbpassword']) && $merged['dbpassword'] !== '';
// Object storage holds user files outside the data directory (contract pitfall 20); its keys stay on the target.
$out['hasObjectstore'] = isset($merged['objectstore']) || isset($merged['objectstore_multibucket']);
$shipped = @json_decode((string)@file_get_contents("$root/core/shipped.json"), true);
$out['shippedApps'] = $shipped['shippedApps'] ?? null;
$dirs = ["$root/apps"];
foreach (($merged['apps_paths'] ?? []) as $p) { if (isset($p['path'])) { $dirs[] = rtrim($p['path'], '/'); } }
$apps = [];
foreach (array_unique($dirs) as $dir) {
	foreach (glob("$dir/*/appinfo/info.xml") ?: [] as $info) {
		$id = basename(dirname(dirname($info)));
		if (isset($apps[$id])) { continue; }
		$xml = function_exists('simplexml_load_file') ? @simplexml_load_file($info) : false;
		$nc = $xml !== false ? ($xml->dependencies->nextcloud ?? null) : null;
		$apps[$id] = ['dir' => dirname(dirname($info)), 'version' => $xml !== false ? (string)$xml->version : null,
			'min' => $nc !== null && isset($nc['min-version']) ? (string)$nc['min-version'] : null,
			'max' => $nc !== null && isset($nc['max-version']) ? (string)$nc['max-version'] : null];
	}
}
$out['apps'] = $apps;
$out['versionCheck'] = @file_get_contents("$root/lib/versioncheck.php") ?: null;
$out['gitCheckout'] = is_dir("$root/.git") || is_file("$root/.git");
$markers = [];
foreach (json_decode($argv[3], true) as $name => $path) { $markers[$name] = file_exists($path); }
$out['markers'] = $markers;
// The official updater's state file (contract 4.5): a leftover in state "start" blocks every later run.
$upd = rtrim((string)($merged['updatedirectory'] ?? ($merged['datadirectory'] ?? "$root/data")), '/');
$step = $upd . '/updater-' . ($merged['instanceid'] ?? '') . '/.step';
$out['updaterStep'] = is_file($step) ? ['path' => $step, 'content' => (string)@file_get_contents($step)] : null;
echo json_encode($out);
`;
