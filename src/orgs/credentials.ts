import { checkUrl, DbConfigError } from '../config.ts';
import type { OrgConfig } from './config.ts';

/** Where an organization's database is, as the central database records it: names only, no credentials. */
export interface OrgDatabaseRef {
  slug: string;
  /** A server name the resolver knows; null = the default server (ORG_DATABASE_URL_TEMPLATE). */
  dbServer: string | null;
  dbName: string;
}

export interface OrgCredentials {
  /** Owner role: migrations and the system client. */
  ownerUrl: string;
  /** Application role (row-level security in force): what sessions connect as; required for them. */
  appUrl?: string;
}

/**
 * Turns a database reference into connection strings. Async so that an app
 * can fetch passwords from a secrets manager; replace the default with
 * `setOrgCredentialsResolver`. Called once per pool opening, not per query.
 */
export type CredentialsResolver = (ref: OrgDatabaseRef) => Promise<OrgCredentials>;

type Env = Readonly<Record<string, string | undefined>>;

/** `pg-b` -> `ORG_SERVER_PG_B_URL`: the template of a named server. */
export function serverEnvName(server: string): string {
  return `ORG_SERVER_${server.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/** The owner-role URL template of a server (`{slug}` not yet substituted). */
export function serverTemplate(config: OrgConfig, server: string | null, env: Env = process.env): string {
  if (server === null) return config.template;
  const name = serverEnvName(server);
  const template = env[name];
  if (!template) {
    throw new DbConfigError(
      `Organization server "${server}" is unknown: set ${name} (like ORG_DATABASE_URL_TEMPLATE), or install a credentials resolver.`,
    );
  }
  checkUrl(name, template.replaceAll('{slug}', 'x'));
  return template;
}

/** The template with `{slug}` filled in and, when given, the database name set. */
export function orgUrl(template: string, slug: string, dbName?: string): string {
  const url = new URL(template.replaceAll('{slug}', slug));
  if (dbName !== undefined) url.pathname = `/${encodeURIComponent(dbName)}`;
  return url.toString();
}

/** The database name a new organization gets on `server`: the template's, with its slug. */
export function newDatabaseName(
  config: OrgConfig,
  slug: string,
  server: string | null,
  env: Env = process.env,
): string {
  return decodeURIComponent(new URL(orgUrl(serverTemplate(config, server, env), slug)).pathname.slice(1));
}

/**
 * The default resolver: the server's template (ORG_DATABASE_URL_TEMPLATE, or
 * ORG_SERVER_<NAME>_URL for a named server) with the recorded database name;
 * sessions log in there as APP_DATABASE_URL's user (the same acme_app login
 * on every server: `pnpm db:org:create` makes sure it exists).
 */
export function defaultCredentialsResolver(config: OrgConfig, env: Env = process.env): CredentialsResolver {
  return async (ref) => {
    const ownerUrl = orgUrl(serverTemplate(config, ref.dbServer, env), ref.slug, ref.dbName);
    const app = new URL(ownerUrl);
    app.username = encodeURIComponent(config.appLogin.user);
    app.password = encodeURIComponent(config.appLogin.password);
    return { ownerUrl, appUrl: app.toString() };
  };
}
