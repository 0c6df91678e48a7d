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

/** File name of the zip as published (`nextcloud-35.0.0beta4.zip`), taken from its URL. */
export function archiveFileName(offer: ReleaseOffer): string {
  const url = offer.downloads.zip[0] ?? offer.url;
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  return /^[\w.+-]+\.zip$/.test(name) ? name : `nextcloud-${offer.versionString.replace(/\s+/g, '').toLowerCase()}.zip`;
}

export function majorOf(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}
