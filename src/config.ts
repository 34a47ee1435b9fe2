/**
 * Connection settings, read once from the environment. Every setting has a
 * default except DATABASE_URL; bad values fail loudly instead of silently
 * falling back, because a mistyped pool size is a production incident.
 */
import { DbConfigError } from './errors/index.ts';

export interface DbConfig {
  /**
   * PostgreSQL connection string of the owner / migration role (DATABASE_URL):
   * migrations and `createSystemDb` use it. Never log it: use {@link redactUrl}.
   */
  connectionString: string;
  /**
   * The application role's connection string (APP_DATABASE_URL): what
   * `createDb` sessions connect as, under row-level security. Unset: sessions
   * use DATABASE_URL and only the ORM's rules apply.
   */
  appConnectionString: string | undefined;
  /** Connections in the process-wide pool (DB_POOL_MAX, default 10). */
  poolMax: number;
  /** How long a query waits for a free connection before failing (DB_POOL_TIMEOUT_MS, default 5000). */
  connectionTimeoutMillis: number;
  /** Idle connections are closed after this long (DB_IDLE_TIMEOUT_MS, default 10000). */
  idleTimeoutMillis: number;
  /** Server-side statement_timeout for every connection, 0 = off (DB_STATEMENT_TIMEOUT_MS, default 30000). */
  statementTimeoutMillis: number;
  /** Shown in pg_stat_activity (DB_APPLICATION_NAME, default "acme-db"). */
  applicationName: string;
  /**
   * Streaming standbys that take the reads (DATABASE_REPLICA_URLS, comma-separated; empty = off).
   * Each names a server (host, port, optionally database and parameters); the role and password
   * come from DATABASE_URL / APP_DATABASE_URL, as a physical standby has the primary's roles.
   */
  replicaUrls: string[];
  /** The most staleness a read routed to a replica may see (DB_REPLICA_MAX_LAG_MS, default 10000). */
  replicaMaxLagMillis: number;
  /**
   * Distinct sessions whose bound client createDb keeps (DB_BOUND_CLIENTS_MAX, default 10000; least recently
   * used dropped first). A miss builds one (~11 µs, ZenStack's $setAuth); each kept one costs ~15 KB of heap (bench:orgs).
   */
  boundClientsMax: number;
}

// Defined in src/errors; re-exported for the modules that import it from here (src/orgs).
export { DbConfigError };

type Env = Readonly<Record<string, string | undefined>>;

function intSetting(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new DbConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

/**
 * @example
 * readDbConfig({ DATABASE_URL: 'postgresql://app:secret@localhost/acme' }).poolMax // => 10
 */
export function readDbConfig(env: Env = process.env): DbConfig {
  const connectionString = env.DATABASE_URL;
  if (!connectionString) {
    throw new DbConfigError(
      'DATABASE_URL is not set. Set it to a PostgreSQL connection string, e.g. ' +
        'postgresql://user:password@localhost:5432/acme (see .env.example).',
    );
  }
  checkUrl('DATABASE_URL', connectionString);
  const appConnectionString = env.APP_DATABASE_URL || undefined;
  if (appConnectionString) checkUrl('APP_DATABASE_URL', appConnectionString);
  return {
    connectionString,
    appConnectionString,
    poolMax: intSetting(env, 'DB_POOL_MAX', 10, 1),
    connectionTimeoutMillis: intSetting(env, 'DB_POOL_TIMEOUT_MS', 5_000, 1),
    idleTimeoutMillis: intSetting(env, 'DB_IDLE_TIMEOUT_MS', 10_000, 0),
    statementTimeoutMillis: intSetting(env, 'DB_STATEMENT_TIMEOUT_MS', 30_000, 0),
    applicationName: env.DB_APPLICATION_NAME || 'acme-db',
    replicaUrls: replicaUrls(env.DATABASE_REPLICA_URLS),
    replicaMaxLagMillis: intSetting(env, 'DB_REPLICA_MAX_LAG_MS', 10_000, 1),
    boundClientsMax: intSetting(env, 'DB_BOUND_CLIENTS_MAX', 10_000, 1),
  };
}

function replicaUrls(raw: string | undefined): string[] {
  const urls = (raw ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const [i, url] of urls.entries()) {
    const name = `DATABASE_REPLICA_URLS entry ${i + 1}`;
    checkUrl(name, url);
    const { username, password } = new URL(url);
    if (username || password) {
      throw new DbConfigError(
        `${name} names a user or password (value not shown): give the server only (postgresql://host:port); ` +
          'the roles and passwords come from DATABASE_URL and APP_DATABASE_URL.',
      );
    }
  }
  return urls;
}

/** Throws DbConfigError when `url` is not a postgresql:// URL; the message never shows the value. */
export function checkUrl(name: string, url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new DbConfigError(`${name} is not a valid URL (value not shown: it may hold a password).`);
  }
  if (protocol !== 'postgresql:' && protocol !== 'postgres:') {
    throw new DbConfigError(`${name} must start with postgresql:// or postgres://, got ${protocol}//`);
  }
}

/**
 * The connection string with its password masked, for logs and errors.
 *
 * @example
 * redactUrl('postgresql://app:s3cret@db:5432/acme') // => 'postgresql://app:***@db:5432/acme'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.searchParams.forEach((_, key) => {
      if (/pass|secret|key/i.test(key)) parsed.searchParams.set(key, '***');
    });
    return parsed.toString();
  } catch {
    return '<unparseable connection string>';
  }
}
