import pg from 'pg';
import { type DbConfig, redactUrl } from './config.ts';
import { type LazyBegin, withLazyBegin } from './fast-path/whole-transaction.ts';
import { RlsContextClient } from './rls/context-client.ts';

/**
 * Opens the pg pool for a config. The one place pool options are decided.
 * `role: 'app'` connects as APP_DATABASE_URL with the client that carries the
 * session to PostgreSQL's row-level security; `'owner'` as DATABASE_URL.
 *
 * An idle client can fail (server restart, `pg_terminate_backend`); without
 * an 'error' listener pg re-throws that on the pool and kills the process.
 * The pool drops the broken client by itself, so we only report it.
 */
export function openPool(
  config: DbConfig,
  onError: (err: Error) => void = reportIdleError,
  role: 'app' | 'owner' = 'owner',
  /** Organization mode: counts every connection against DB_MAX_CONNECTIONS_TOTAL (src/orgs/budget.ts). */
  wrapClient?: (base: typeof pg.Client) => typeof pg.Client,
  /** The client class, for pools whose connections behave differently (replicas: src/replicas/). */
  ClientClass?: typeof pg.Client,
): pg.Pool {
  const connectionString =
    role === 'app' ? (config.appConnectionString ?? config.connectionString) : config.connectionString;
  // Replica clients open their own read-only transactions; every primary connection defers BEGIN.
  const Client =
    ClientClass ?? withLazyBegin(role === 'app' && config.appConnectionString ? RlsContextClient : pg.Client);
  const pool = new pg.Pool({
    connectionString,
    Client: wrapClient ? wrapClient(Client) : Client,
    max: config.poolMax,
    connectionTimeoutMillis: config.connectionTimeoutMillis,
    idleTimeoutMillis: config.idleTimeoutMillis,
    application_name: config.applicationName,
    // Sent in the startup packet: no extra round trip per connection.
    ...(config.statementTimeoutMillis > 0 ? { statement_timeout: config.statementTimeoutMillis } : {}),
  });
  pool.on('error', (err) => onError(scrubSecret(err, connectionString)));
  pool.on('release', (_err, client) => (client as Partial<LazyBegin>).resetLazyBegin?.());
  return pool;
}

function reportIdleError(err: Error): void {
  console.warn(`[@acme/db] idle connection failed and was dropped: ${err.message}`);
}

/** Makes sure an error from the driver cannot carry the password onward. */
export function scrubSecret<E extends Error>(err: E, connectionString: string): E {
  let password = '';
  try {
    password = decodeURIComponent(new URL(connectionString).password);
  } catch {
    return err;
  }
  if (!password) return err;
  const redacted = redactUrl(connectionString);
  const clean = (s: string) => s.split(connectionString).join(redacted).split(password).join('***');
  err.message = clean(err.message);
  if (err.stack) err.stack = clean(err.stack);
  return err;
}
