/**
 * A replica is given as a server (DATABASE_REPLICA_URLS); each pool connects
 * to it with its own role's URL pointed there, because a physical standby has
 * the primary's roles and passwords.
 *
 * @example
 * onServer('postgresql://app:pw@primary:5432/acme', 'postgresql://replica-1:5433')
 * // => 'postgresql://app:pw@replica-1:5433/acme'
 */
export function onServer(roleUrl: string, serverUrl: string): string {
  const role = new URL(roleUrl);
  const server = new URL(serverUrl);
  role.hostname = server.hostname;
  role.port = server.port;
  if (server.pathname && server.pathname !== '/') role.pathname = server.pathname;
  for (const [key, value] of server.searchParams) role.searchParams.set(key, value);
  return role.toString();
}

/** `host:port[/database]`: how a replica appears in logs and stats (server URLs carry no credentials). */
export function serverName(serverUrl: string): string {
  const url = new URL(serverUrl);
  const database = url.pathname && url.pathname !== '/' ? url.pathname : '';
  return `${url.hostname}:${url.port || '5432'}${database}`;
}
