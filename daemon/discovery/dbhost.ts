/** The database endpoint config.php's `dbhost` names, parsed like ConnectionFactory (contract 6.2, 20). */
export interface DbEndpoint {
  readonly host: string;
  readonly port: number | undefined;
  /** Unix socket path (MySQL) or socket directory (PostgreSQL). */
  readonly socket: string | undefined;
}

/** `host`, `host:port`, `[ipv6]:port`, `host:/path/to/socket`; `dbport` is ignored as Nextcloud ignores it. */
export function parseDbHost(dbhost: string): DbEndpoint {
  let host = dbhost.trim();
  let port: number | undefined;
  let socket: string | undefined;
  const match = /^(.*):([^\]:]+)$/.exec(host);
  if (match) {
    host = match[1] ?? '';
    const suffix = match[2] ?? '';
    if (/^\d+$/.test(suffix)) port = Number(suffix);
    else socket = suffix;
  }
  if (host.length > 1 && host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // A bare path names a socket (PostgreSQL docs show `/run/postgresql/` as dbhost).
  if (!socket && host.startsWith('/')) {
    socket = host;
    host = 'localhost';
  }
  return { host: host || 'localhost', port, socket };
}

export function describeDbEndpoint(endpoint: DbEndpoint): string {
  if (endpoint.socket) return `socket ${endpoint.socket}`;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return endpoint.port ? `${host}:${endpoint.port}` : host;
}
