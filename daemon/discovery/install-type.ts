// Installs that an archive updater must not touch (contract 9), each with its own update path.

export type InstallType = 'archive' | 'git' | 'docker' | 'aio' | 'snap' | 'package';

export interface InstallTypeVerdict {
  readonly type: InstallType;
  /** What was seen, for the operator. */
  readonly evidence: string;
  /** How this kind of install is updated instead (absent where ncupd updates it). */
  readonly updatePath?: string;
}

/** Paths whose existence the probe reports, relative to a system root ('' on a real host). */
export function installMarkers(sysroot: string): Record<string, string> {
  return {
    dockerenv: `${sysroot}/.dockerenv`,
    dockerImageSource: `${sysroot}/usr/src/nextcloud/version.php`,
    aioConfig: `${sysroot}/mnt/docker-aio-config`,
    aioData: `${sysroot}/mnt/ncdata`,
  };
}

export interface InstallFacts {
  readonly root: string;
  readonly sysroot: string;
  readonly dataDirectory: string | undefined;
  readonly channel: string | undefined;
  readonly gitCheckout: boolean;
  readonly markers: Readonly<Record<string, boolean>>;
  /** Package owning version.php, from the host's package database. */
  readonly owningPackage: string | undefined;
}

const UPDATE_PATHS: Record<Exclude<InstallType, 'archive' | 'git'>, string> = {
  docker: 'pull the newer image tag and recreate the container; its entrypoint upgrades the volume (docs: github.com/nextcloud/docker)',
  aio: 'update from the AIO interface (mastercontainer), which also backs up with BorgBackup',
  snap: 'the snap updates itself; use `snap refresh nextcloud` (and snap channels for majors)',
  package: 'update through the distribution\'s package manager (apt, dnf, ...)',
};

export function classifyInstall(facts: InstallFacts): InstallTypeVerdict {
  const root = facts.sysroot && facts.root.startsWith(facts.sysroot) ? facts.root.slice(facts.sysroot.length) || '/' : facts.root;
  const verdict = (type: Exclude<InstallType, 'archive' | 'git'>, evidence: string): InstallTypeVerdict => ({ type, evidence, updatePath: UPDATE_PATHS[type] });
  if (/\/nextcloud_aio_[a-z_]+\//.test(`${root}/`) || facts.markers.aioConfig || facts.dataDirectory === '/mnt/ncdata') {
    return verdict('aio', facts.markers.aioConfig ? 'AIO mastercontainer config at /mnt/docker-aio-config' : 'AIO volume layout (nextcloud_aio_* / /mnt/ncdata)');
  }
  if (root.startsWith('/var/lib/docker/volumes/') || (facts.markers.dockerenv && (facts.markers.dockerImageSource || root === '/var/www/html'))) {
    return verdict('docker', root.startsWith('/var/lib/docker/') ? `install root inside a Docker volume (${root})` : 'inside the official Docker image (/.dockerenv, /usr/src/nextcloud)');
  }
  if (root.startsWith('/snap/nextcloud/') || root.startsWith('/var/snap/nextcloud/')) {
    return verdict('snap', `install root under the nextcloud snap (${root})`);
  }
  if (facts.owningPackage) return verdict('package', `version.php belongs to the package ${facts.owningPackage}`);
  if (facts.gitCheckout || facts.channel === 'git') return { type: 'git', evidence: facts.gitCheckout ? 'a .git entry in the install root' : 'version.php channel "git"' };
  return { type: 'archive', evidence: 'a release archive install' };
}
