import type { PolicyConfig } from '../config/schema.js';
import type { DiscoveredInstance, InstanceApp } from '../discovery/discover-instance.js';
import { compareVersions } from '../discovery/version-check.js';
import { MAJORS } from '../releases/majors.js';
import { majorOf, type ReleaseOffer } from '../releases/offer.js';

const DAILY_VERSION = '100.0.0.0';

export type Decision = 'apply' | 'hold' | 'up-to-date' | 'blocked';
export type ReleaseKind = 'patch' | 'minor' | 'major';

export interface PolicyVerdict {
  readonly decision: Decision;
  /** Why, in words an operator reads at a glance. */
  readonly reason: string;
  readonly kind: ReleaseKind | undefined;
  readonly target: ReleaseOffer | undefined;
  /** Worth saying, not stopping for (EOL, apps a patch would disable). */
  readonly warnings: readonly string[];
  /** Enabled third-party apps whose declared range excludes the target: `occ upgrade` would disable them. */
  readonly appsDisabledByTarget: readonly InstanceApp[];
}

/** What the update server did not say when it answered with an empty body. */
export interface Withheld {
  /** The same server offers this to the official updater (inside every rollout), not to this instance yet. */
  readonly stagedRollout?: ReleaseOffer;
}

export function releaseKind(installed: string, target: string): ReleaseKind {
  const [a, b] = [installed.split('.'), target.split('.')];
  if (a[0] !== b[0]) return 'major';
  return a[1] !== b[1] ? 'minor' : 'patch';
}

/** Same rule as the fixture and Nextcloud: compare only as many parts as the app declares. */
function appAllows(app: InstanceApp, target: string): boolean {
  const parts = target.split('.');
  const cut = (declared: string) => parts.slice(0, declared.split('.').length).join('.');
  if (app.min && compareVersions(cut(app.min), app.min) < 0) return false;
  if (app.max && compareVersions(cut(app.max), app.max) > 0) return false;
  return true;
}

function phpMinorOf(instance: DiscoveredInstance): string {
  return `${instance.php.major}.${instance.php.minor}`;
}

function verdict(decision: Decision, reason: string, rest: Partial<PolicyVerdict> = {}): PolicyVerdict {
  return { decision, reason, kind: undefined, target: undefined, warnings: [], appsDisabledByTarget: [], ...rest };
}

function nothingOffered(instance: DiscoveredInstance, withheld: Withheld): PolicyVerdict {
  const major = majorOf(instance.code.version);
  const next = MAJORS[major + 1];
  if (withheld.stagedRollout) {
    return verdict('hold', `staged rollout: ${withheld.stagedRollout.versionString} is published but not yet offered to this instance's rollout group`);
  }
  if (next?.stable && compareVersions(phpMinorOf(instance), next.minPhp) < 0) {
    return verdict('blocked', `major ${major + 1} exists but needs PHP ${next.minPhp}, instance has ${instance.php.version}: the update server withholds it`);
  }
  return verdict('up-to-date', `${instance.code.versionString} is the newest release the ${instance.channel} channel offers to this instance`);
}

/** The policy of issue 3: patches by default, majors one at a time and only when allowed, never down. */
export function decide(instance: DiscoveredInstance, offer: ReleaseOffer | undefined, policy: PolicyConfig, withheld: Withheld = {}): PolicyVerdict {
  if (!offer) return nothingOffered(instance, withheld);
  const from = instance.installedVersion || instance.code.version;
  const name = offer.versionString;
  // Daily builds all answer version 100.0.0.0 (contract 1.3): no ordering, no signature.
  if (offer.version === DAILY_VERSION) {
    if (!offer.signature && !policy.allowUnsigned) {
      return verdict('blocked', `${name} build is unsigned (${instance.channel} channel): refused unless policy.allowUnsigned is set`, { target: offer });
    }
    return verdict('apply', `daily build of the ${instance.channel} channel, unsigned, allowed by policy.allowUnsigned`, { target: offer, kind: 'major' });
  }
  if (compareVersions(offer.version, from) <= 0) {
    return verdict('blocked', `offered ${name} (${offer.version}) is not newer than the installed ${from}: downgrade refused`, { target: offer });
  }
  const kind = releaseKind(from, offer.version);
  const warnings: string[] = [];
  if (offer.eol) warnings.push(`major ${majorOf(offer.version)} is past its end of life (${offer.eolDate || 'date unknown'}): plan the next major`);
  const base = { target: offer, kind, warnings };
  if (!offer.signature && !policy.allowUnsigned) {
    return verdict('blocked', `${name} is unsigned (${instance.channel} channel): refused unless policy.allowUnsigned is set`, base);
  }
  if (!offer.autoupdater) {
    return verdict('blocked', `the update server marks ${name} as not for automatic updaters (autoupdater 0): update manually`, base);
  }
  if (majorOf(offer.version) > majorOf(from) + 1) {
    return verdict('blocked', `${name} skips a major from ${from}: Nextcloud upgrades one major at a time`, base);
  }
  const targetMajor = MAJORS[majorOf(offer.version)];
  if (targetMajor && compareVersions(phpMinorOf(instance), targetMajor.minPhp) < 0) {
    return verdict('blocked', `${name} needs PHP ${targetMajor.minPhp}, instance has ${instance.php.version}`, base);
  }
  const disabled = instance.apps.filter((app) => app.enabled && !app.shipped && !appAllows(app, offer.version));
  const appList = disabled.map((app) => `${app.id} (max-version ${app.max ?? '?'})`).join(', ');
  const withApps = { ...base, appsDisabledByTarget: disabled };
  if (disabled.length > 0 && policy.apps !== 'ignore') {
    if (kind === 'major' && policy.apps === 'hold') {
      return verdict('hold', `major ${name} would disable the enabled third-party app${disabled.length > 1 ? 's' : ''} ${appList}: held by policy.apps`, withApps);
    }
    warnings.push(`${name} would disable ${appList}`);
  }
  if (kind === 'major' && policy.majors !== 'allow') {
    return verdict('hold', `major ${name} available, held: majors need approval (policy.majors: allow)`, withApps);
  }
  const what = kind === 'patch' ? 'maintenance release' : kind === 'minor' ? 'minor release' : 'major release (allowed, one hop)';
  return verdict('apply', `${what} ${name} for ${instance.code.versionString}`, withApps);
}
