import type { DiscoveredInstance } from '../discovery/discover-instance.js';

/** The 14 fields Nextcloud's VersionCheck sends (contract 1.2), in order. */
export interface UpdateRequestFacts {
  /** `$OC_Version` of the running code, 4 parts. */
  readonly codeVersion: string;
  /** appconfig core/installedat, '' when unset. */
  readonly installedAt: string;
  /** Unix time of this check (VersionCheck writes it to core/lastupdatedat just before). */
  readonly lastCheck: number;
  readonly channel: string;
  readonly build: string;
  readonly php: { readonly major: number; readonly minor: number; readonly release: number };
  /** Bucket of seen users: 0 ≤100, 1 ≤500, 2 ≤1000, 3 ≤5000, 4 ≤10000, 5 ≤100000, 6 ≤1000000, 7 above. */
  readonly category: number;
  readonly isSubscriber: boolean;
}

export function requestFacts(instance: DiscoveredInstance, now = Date.now()): UpdateRequestFacts {
  return {
    codeVersion: instance.code.version, installedAt: instance.installedAt, lastCheck: Math.floor(now / 1000),
    channel: instance.channel, build: instance.code.build, php: instance.php, category: 0, isSubscriber: false,
  };
}

/** `34x0x3x2x<installedat>x<lastcheck>x<channel>xx<build>x8x3x12x<category>x<subscriber>`. */
export function serverVersionParameter(f: UpdateRequestFacts): string {
  const version = f.codeVersion.split('.').concat(['0', '0', '0', '0']).slice(0, 4);
  return [...version, f.installedAt, String(f.lastCheck), f.channel, '', f.build, String(f.php.major), String(f.php.minor), String(f.php.release),
    String(f.category), f.isSubscriber ? '1' : '0'].join('x');
}

/**
 * The built-in updater's 12 fields: empty installation time, so it is inside every staged rollout.
 * (The updater urlencodes the build itself; here the whole value is escaped once, by updateCheckUrl.)
 */
export function updaterVersionParameter(f: UpdateRequestFacts, installedVersion: string): string {
  const version = installedVersion.split('.').concat(['0', '0', '0', '0']).slice(0, 4);
  return [...version, '', '', f.channel, '', f.build, String(f.php.major), String(f.php.minor), String(f.php.release)].join('x');
}

/** Escapes as Nextcloud's HTTP client does in the worked examples: `+` → %2B, space → %20, `:` kept. */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':');
}

export function updateCheckUrl(base: string, parameter: string): string {
  return `${base}?version=${encodeQueryValue(parameter)}`;
}
