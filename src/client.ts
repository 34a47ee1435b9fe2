import type { SessionInput } from '@acme/auth';
import { readDbConfig } from './config.ts';
import { activeOrgRouter, closeOrgRouter, refuseOrgInSingleMode } from './orgs/mode.ts';
import { type DbOptions, DbRuntime, type EnhancedClient, type PoolStats } from './runtime.ts';

export type { DbOptions, EnhancedClient, PoolStats } from './runtime.ts';

// One runtime (pools and shared clients) per process, opened on first use so
// that importing this package (for types, in a build step) needs no database.
let runtime: DbRuntime | undefined;
const current = () => {
  runtime ??= new DbRuntime(readDbConfig());
  return runtime;
};

/**
 * A database client that enforces the schema's access rules for `session`
 * in every query, and audits every write it makes. With APP_DATABASE_URL set
 * it connects as the application role and PostgreSQL's row-level security
 * (zenstack/rls.sql) enforces the same rules again. Cheap: it binds the auth
 * context to a shared client and opens nothing. `null` means anonymous,
 * which the rules let see nothing.
 *
 * The session is validated at runtime: a payload with an unknown role or a
 * missing id throws `InvalidSessionError` instead of acting as some user.
 * A `ValidSession` (from `loadSession` or `parseSessionUser`) is not parsed again.
 * Clinic-scoped models (Patient) need the session's memberships: build the
 * session with `loadSession` rather than by hand.
 *
 * @example
 * const db = createDb(await loadSession({ id: 'u_1', role: 'USER' }));
 * await db.patient.findMany({ orderBy: { name: 'asc' } });
 */
export function createDb(session: SessionInput | null, options: DbOptions = {}): EnhancedClient {
  // Organization mode (CENTRAL_DATABASE_URL): the session's organization picks the database (src/orgs).
  const orgs = activeOrgRouter();
  if (orgs) return orgs.createDb(session, options);
  refuseOrgInSingleMode(session, options);
  return current().createDb(session, options);
}

const SYSTEM_REASON = /^[a-z0-9][a-z0-9._:-]{0,62}$/;

/**
 * The one way around the access rules, for work no user does: webhooks,
 * scheduled jobs, seeding, migrations of data. It connects as DATABASE_URL
 * (the owner: BYPASSRLS or superuser, see README). Every write it makes is still
 * audited, with actor `system:<reason>` and role `SYSTEM`, and it has no raw
 * SQL or plugin escape hatches either. Deleted rows stay hidden unless
 * `includeDeleted` is set.
 *
 * @example
 * const db = createSystemDb('stripe-webhook'); // organization mode: createSystemDb('job', { org: 'acme' })
 * await db.clinic.update({ where: { id }, data: { name } });
 */
export function createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
  if (!SYSTEM_REASON.test(reason)) {
    throw new TypeError(
      `createSystemDb(reason): reason must be 1-63 characters of a-z, 0-9, '.', '_', ':' or '-', starting with a letter or digit (got ${JSON.stringify(reason)})`,
    );
  }
  const orgs = activeOrgRouter();
  if (orgs) return orgs.createSystemDb(reason, options);
  refuseOrgInSingleMode(null, options);
  return current().createSystemDb(reason, options);
}

/**
 * Closes the shared pool (graceful shutdown, end of a script or test file).
 * Waits for checked-out connections to be released. A later `createDb` opens
 * a new pool.
 */
export async function closeDb(): Promise<void> {
  const closing = runtime;
  runtime = undefined;
  if (closing) await closing.close();
  await closeOrgRouter();
}

/** Pool counters for health checks and metrics; with replicas, per server (`servers`); the read cache's (`queryCache`). */
export function poolStats(): PoolStats | null {
  return runtime ? runtime.poolStats() : null;
}

/**
 * With read replicas: the WAL position `db`'s reads wait for — its latest
 * write's commit, or the `minLsn` it was created with. Hand it to the next
 * request (a cookie, a header) and pass it back as `createDb(session, { minLsn })`
 * so that request reads its own writes on any server. Null without replicas or
 * before any write.
 */
export function minLsnOf(db: EnhancedClient): string | null {
  return current().minLsnOf(db);
}
