import type { SessionInput } from '@acme/auth';
import { orgModeEnabled, readOrgConfig } from './config.ts';
import type { CredentialsResolver } from './credentials.ts';
import { OrgRoutingError } from './errors.ts';
import { type OrgPoolStats, OrgRouter } from './router.ts';

// undefined: not decided yet; null: single-database mode. Decided on first
// use (as the single-database runtime is) and again after closeDb().
let router: OrgRouter | null | undefined;
let resolver: CredentialsResolver | undefined;

/** The organization router when CENTRAL_DATABASE_URL is set, else null (single-database mode). */
export function activeOrgRouter(): OrgRouter | null {
  if (router === undefined) router = orgModeEnabled() ? new OrgRouter(readOrgConfig(), resolver) : null;
  return router;
}

/** Single-database mode refuses a session that names an organization rather than serve it the one shared database. */
export function refuseOrgInSingleMode(session: SessionInput | null, options: { org?: string }): void {
  const org = session?.orgId ?? session?.orgSlug ?? options.org;
  if (org !== undefined) {
    throw new OrgRoutingError(
      'This session names an organization, but organization mode is off (set CENTRAL_DATABASE_URL).',
      org,
    );
  }
}

/**
 * Replaces how an organization's database reference becomes connection
 * strings (default: ORG_DATABASE_URL_TEMPLATE / ORG_SERVER_<NAME>_URL plus
 * APP_DATABASE_URL's login), e.g. to read passwords from a secrets manager.
 * Pools opened from now on use it.
 */
export function setOrgCredentialsResolver(fn: CredentialsResolver): void {
  resolver = fn;
  router?.setResolver(fn);
}

/**
 * The organization list changed in this process (`db:org:create`'s steps, the
 * demo): the router's next lookup reads it again instead of trusting a list
 * that says the new organization does not exist.
 */
export function organizationsChanged(): void {
  router?.directory.invalidate();
}

export async function closeOrgRouter(): Promise<void> {
  const closing = router;
  router = undefined;
  if (closing) await closing.close();
}

/** Per-organization pool counters and the global budget; null in single-database mode or before first use. */
export function orgPoolStats(): OrgPoolStats | null {
  return router ? router.stats() : null;
}
