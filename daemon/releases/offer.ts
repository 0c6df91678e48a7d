/** An update server's answer, every element of it (contract 1.4). */
export interface ReleaseOffer {
  /** `<version>`: internal version, 4 parts (`34.0.3.2`; daily `100.0.0.0`). */
  readonly version: string;
  /** Public version without the `Nextcloud ` prefix (`34.0.3`, `35.0.0 beta 4`, `daily`). */
  readonly versionString: string;
  /** `<url>`: the legacy single download URL. */
  readonly url: string;
  readonly downloads: { readonly zip: readonly string[]; readonly bz2: readonly string[] };
  readonly web: string;
  readonly changes: string;
  /** `<autoupdater>`: false marks a release the built-in updater must not install. */
  readonly autoupdater: boolean;
  /** `<eol>`: the offered release's major is past end of life. */
  readonly eol: boolean;
  readonly eolDate: string;
  /** `<signature>` of the zip, whitespace removed; absent for unsigned (daily) builds. */
  readonly signature: string | undefined;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_+-]*(\.[A-Za-z0-9_+-]+)*\.zip$/;

/**
 * File name of the zip as published (`nextcloud-35.0.0beta4.zip`), taken from its URL when that is a
 * plain name; else built from the 4-number version. The server's words never become a path unchecked.
 */
export function archiveFileName(offer: ReleaseOffer): string {
  const url = offer.downloads.zip[0] ?? offer.url;
  let name = '';
  try {
    name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    name = '';
  }
  return SAFE_NAME.test(name) && name.length <= 128 ? name : `nextcloud-${offer.version}.zip`;
}

export function isSafeArchiveName(name: string): boolean {
  return SAFE_NAME.test(name) && name.length <= 128;
}

export function majorOf(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}
