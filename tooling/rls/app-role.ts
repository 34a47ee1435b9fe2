import { APP_ROLE } from '@acme/db/rls';
import pg from 'pg';
import { retryCatalogConflicts } from '../catalog-conflict.ts';
import { withClient } from '../database.ts';

export interface AppLogin {
  user: string;
  password: string;
}

/**
 * Makes `login` a role the application can connect as under row-level
 * security: LOGIN, not superuser, not BYPASSRLS, not the owner, and a member
 * of acme_app (or acme_app itself). Idempotent; needs CREATEROLE on
 * `ownerUrl`. The password travels as an escaped literal and is never logged.
 */
export async function ensureAppLogin(ownerUrl: string, login: AppLogin): Promise<void> {
  const role = pg.escapeIdentifier(login.user);
  const password = pg.escapeLiteral(login.password);
  // Only LOGIN and the password are set: changing SUPERUSER or BYPASSRLS, even to
  // off, takes a superuser. New roles start without both; we check instead.
  const attributes = `LOGIN PASSWORD ${password}`;
  // Each attempt on a fresh connection; see catalog-conflict.ts for why a retry, not a lock.
  await retryCatalogConflicts(() => setUpLogin(ownerUrl, login, role, attributes));
}

async function setUpLogin(ownerUrl: string, login: AppLogin, role: string, attributes: string): Promise<void> {
  await withClient(ownerUrl, async (c) => {
    for (const name of new Set([APP_ROLE, login.user])) {
      // Tolerates a concurrent creation (several test workers, two deploys).
      await c.query(`DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${pg.escapeLiteral(name)}) THEN
            CREATE ROLE ${pg.escapeIdentifier(name)} NOLOGIN;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$`);
    }
    await c.query(`ALTER ROLE ${role} WITH ${attributes}`);
    if (login.user !== APP_ROLE) await c.query(`GRANT ${APP_ROLE} TO ${role}`);
    const { rows } = await c.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1',
      [login.user],
    );
    if (rows[0]?.rolsuper || rows[0]?.rolbypassrls) {
      throw new Error(
        `${login.user} is a superuser or BYPASSRLS: row-level security would not bind it. Fix the role first.`,
      );
    }
  });
}

/** `ownerUrl` with the application login instead of the owner (and optionally another host:port, e.g. PgBouncer). */
export function appUrl(ownerUrl: string, login: AppLogin, hostPort?: string): string {
  const url = new URL(ownerUrl);
  url.username = encodeURIComponent(login.user);
  url.password = encodeURIComponent(login.password);
  if (hostPort) url.host = hostPort;
  return url.toString();
}
