import pg from 'pg';
import { type DbConfig, redactUrl } from './config.ts';
import { type ConnectionPermits, permitClient } from './driver/index.ts';

export interface OpenPoolOptions {
  /** `app`: APP_DATABASE_URL (else DATABASE_URL), the role sessions connect as; `owner`: DATABASE_URL. */
  role?: 'app' | 'owner';
  /** Where a failed idle connection is reported (it is dropped by the pool either way). */
  onError?: (err: Error) => void;
  /** Organization mode: every connection takes a permit of DB_MAX_CONNECTIONS_TOTAL (src/orgs/budget.ts). */
  permits?: ConnectionPermits;
  /**
   * Pipelined connections (the driver sends `BEGIN; set_config`, the statement and COMMIT in one round
   * trip): the app role under row-level security, and replicas.
   */
  pipeline?: boolean;
}

/**
 * Opens the pg pool for a config. The one place pool options are decided.
 *
 * An idle client can fail (server restart, `pg_terminate_backend`); without
 * an 'error' listener pg re-throws that on the pool and kills the process.
 * The pool drops the broken client by itself, so we only report it. A
 * checked-out client has no listener of pg-pool's, and a pipelined write to
 * a dead server (EPIPE) would crash the process: the statements in flight
 * fail with the error anyway, so each client gets a quiet one.
 */
export function openPool(config: DbConfig, options: OpenPoolOptions = {}): pg.Pool {
  const { role = 'owner', onError = reportIdleError, permits, pipeline = false } = options;
  const connectionString =
    role === 'app' ? (config.appConnectionString ?? config.connectionString) : config.connectionString;
  const pool = new pg.Pool({
    connectionString,
    ...(permits ? { Client: permitClient(permits, config.connectionTimeoutMillis) } : {}),
    max: config.poolMax,
    connectionTimeoutMillis: config.connectionTimeoutMillis,
    idleTimeoutMillis: config.idleTimeoutMillis,
    application_name: config.applicationName,
    // Sent in the startup packet: no extra round trip per connection.
    ...(config.statementTimeoutMillis > 0 ? { statement_timeout: config.statementTimeoutMillis } : {}),
    ...(pipeline ? { pipeline: true } : {}),
  } as pg.PoolConfig);
  pool.on('error', (err) => onError(scrubSecret(err, connectionString)));
  if (pipeline) pool.on('connect', (client) => client.on('error', () => {}));
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
