import { checkUrl, type DbConfig, DbConfigError, readDbConfig } from '../config.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Organization mode's settings; on when CENTRAL_DATABASE_URL is set. */
export interface OrgConfig {
  /** Owner role on the central database (CENTRAL_DATABASE_URL). Never log it: use redactUrl. */
  centralUrl: string;
  /**
   * Owner-role URL of an organization's database, `{slug}` standing for its
   * slug (ORG_DATABASE_URL_TEMPLATE). Default: the central server, database
   * `clinic_{slug}`.
   */
  template: string;
  /** The application login every organization's sessions use (APP_DATABASE_URL's user and password; required). */
  appLogin: { user: string; password: string };
  /** Open connections across all pools of this process (DB_MAX_CONNECTIONS_TOTAL, default 50). */
  maxConnectionsTotal: number;
  /** How long the organization list read from the central database is trusted (ORG_DIRECTORY_TTL_MS, default 5000). */
  directoryTtlMs: number;
  /**
   * Organizations whose pools are kept at once (ORG_RUNTIMES_MAX, default 10000); beyond, those holding no
   * connection are dropped, least recently used first. An organization's clients are shared (one runtime),
   * so what one costs is its two pg pools (~2 KB each before they open).
   */
  runtimesMax: number;
  /** Distinct sessions kept bound, over all organizations (DB_BOUND_CLIENTS_MAX, as in single-database mode). */
  boundClientsMax: number;
  /** Pool settings of every organization's pools (DB_POOL_MAX etc., as in single-database mode). */
  pool: Omit<DbConfig, 'connectionString' | 'appConnectionString'>;
}

export const orgModeEnabled = (env: Env = process.env): boolean => Boolean(env.CENTRAL_DATABASE_URL);

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new DbConfigError(`${name} must be an integer >= 1, got "${raw}"`);
  return value;
}

/** The default template: the central server, database `clinic_{slug}`. */
export function defaultTemplate(centralUrl: string): string {
  const url = new URL(centralUrl);
  url.pathname = '/clinic_SLUG';
  return url.toString().replace('clinic_SLUG', 'clinic_{slug}');
}

export function readOrgConfig(env: Env = process.env): OrgConfig {
  const centralUrl = env.CENTRAL_DATABASE_URL;
  if (!centralUrl) throw new DbConfigError('CENTRAL_DATABASE_URL is not set: organization mode is off.');
  checkUrl('CENTRAL_DATABASE_URL', centralUrl);
  const template = env.ORG_DATABASE_URL_TEMPLATE || defaultTemplate(centralUrl);
  if (!template.includes('{slug}')) {
    throw new DbConfigError('ORG_DATABASE_URL_TEMPLATE must contain {slug}, e.g. postgresql://u:pw@host/clinic_{slug}');
  }
  checkUrl('ORG_DATABASE_URL_TEMPLATE', template.replaceAll('{slug}', 'x'));
  const app = env.APP_DATABASE_URL;
  // Sessions connect to every organization database as this login, under row-level security:
  // without it the first query of a session would fail, so the mode refuses to start.
  if (!app) {
    throw new DbConfigError(
      'Organization mode (CENTRAL_DATABASE_URL) needs APP_DATABASE_URL: its user and password are the login sessions use in every organization database (README "Organizations").',
    );
  }
  checkUrl('APP_DATABASE_URL', app);
  const parsed = new URL(app);
  const appLogin = { user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
  const { connectionString: _c, appConnectionString: _a, ...pool } = readDbConfig({ ...env, DATABASE_URL: centralUrl });
  return {
    centralUrl,
    template,
    appLogin,
    maxConnectionsTotal: positiveInt(env, 'DB_MAX_CONNECTIONS_TOTAL', 50),
    directoryTtlMs: positiveInt(env, 'ORG_DIRECTORY_TTL_MS', 5_000),
    runtimesMax: positiveInt(env, 'ORG_RUNTIMES_MAX', 10_000),
    boundClientsMax: pool.boundClientsMax,
    pool,
  };
}
