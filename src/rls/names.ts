/**
 * The contract between the application and PostgreSQL's row-level security,
 * by name: the generator (src/rls/, tooling/rls/) writes these names into
 * zenstack/rls.sql, the driver (src/driver/connection.ts) sets the setting,
 * the tooling creates the role. Renaming one here renames it everywhere
 * (then `pnpm db:generate` and a new migration of the role, if renamed).
 */

/** The transaction-local setting that carries the session JSON to the policies. */
export const AUTH_SETTING = 'acme.auth';

/** The group role sessions connect as (directly, or through a login that is a member). */
export const APP_ROLE = 'acme_app';
