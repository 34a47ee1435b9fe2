import { parseSessionUser, type SessionInput } from '@acme/auth';
import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import type pg from 'pg';
import { schema } from '../zenstack/schema.ts';
import { AuditPlugin } from './audit/audit-plugin.ts';
import { readDbConfig } from './config.ts';
import { type BlockedMember, guardClient } from './guard.ts';
import { PolicyFoldingPlugin } from './policy-folding.ts';
import { openPool } from './pool.ts';
import { softDeletePlugin } from './soft-delete.ts';

function buildRootClient(pool: pg.Pool) {
  return new ZenStackClient(schema, { dialect: new PostgresDialect({ pool }), plugins: [] as AnyPlugin[] });
}

type RootClient = ReturnType<typeof buildRootClient>;

/** The policy-enforcing client `createDb` returns: no raw SQL, no plugin or auth changes. */
export type EnhancedClient = Omit<RootClient, BlockedMember>;

export interface DbOptions {
  /**
   * See soft-deleted rows (and restore them by setting `deletedAt: null`).
   * The rules show them to ADMIN only; a delete still only marks the row.
   */
  includeDeleted?: boolean;
}

/**
 * ZenStack runs the *last* plugin of the list first. The policy plugin goes
 * last so that it judges each statement as the caller wrote it (a delete as a
 * delete); soft delete then rewrites it, and the audit plugin records what
 * finally runs. The system client has the same list minus the policy plugin.
 * Policy folding works a level above (whole operations, `onQuery`), before any
 * SQL is built.
 */
function pluginsFor(kind: 'session' | 'system', includeDeleted: boolean): AnyPlugin[] {
  const inner = [new AuditPlugin(), softDeletePlugin({ includeDeleted })];
  return kind === 'session' ? [...inner, new PolicyPlugin(), new PolicyFoldingPlugin()] : inner;
}

interface Connection {
  pool: pg.Pool;
  root: RootClient;
  /** Unbound clients by `kind/includeDeleted`; they share the root's driver and pool. */
  unbound: Map<string, RootClient>;
  /** Bound clients by session: `$setAuth` builds a new client (~11 µs), a lookup is well under 1 µs. */
  bound: Map<string, EnhancedClient>;
}

/** Distinct sessions kept bound at once; the oldest is dropped first. */
const BOUND_CLIENTS = 1_000;

// One pool and one root client per process, opened on first use so that
// importing this package (for types, in a build step) needs no database.
let connection: Connection | undefined;

function connect(): Connection {
  if (!connection) {
    const pool = openPool(readDbConfig());
    connection = { pool, root: buildRootClient(pool), unbound: new Map(), bound: new Map() };
  }
  return connection;
}

function unboundClient(kind: 'session' | 'system', includeDeleted: boolean): RootClient {
  const { root, unbound } = connect();
  const key = `${kind}/${includeDeleted}`;
  let client = unbound.get(key);
  if (!client) {
    client = root.$setOptions({ ...root.$options, plugins: pluginsFor(kind, includeDeleted) }) as RootClient;
    unbound.set(key, client);
  }
  return client;
}

/**
 * A database client that enforces the schema's access rules for `session`
 * in every query, and audits every write it makes. Cheap: it binds the auth
 * context to a shared client and opens nothing. `null` means anonymous,
 * which the rules let see nothing.
 *
 * The session is validated at runtime: a payload with an unknown role or a
 * missing id throws `InvalidSessionError` instead of acting as some user.
 * Clinic-scoped models (Patient) need the session's memberships: build the
 * session with `loadSession` rather than by hand.
 *
 * @example
 * const db = createDb(await loadSession({ id: 'u_1', role: 'USER' }));
 * await db.patient.findMany({ orderBy: { name: 'asc' } });
 */
export function createDb(session: SessionInput | null, options: DbOptions = {}): EnhancedClient {
  const includeDeleted = options.includeDeleted === true;
  const { bound } = connect();
  const user = session === null ? null : parseSessionUser(session);
  const memberships = user?.memberships.map((m) => `${m.clinicId}\u0001${m.role}`).join('\u0002') ?? '';
  const key = `${includeDeleted ? 1 : 0}\u0000${user?.role ?? ''}\u0000${user?.id ?? ''}\u0000${memberships}`;
  let client = bound.get(key);
  if (client) {
    // Refresh its place: the map's insertion order is the eviction order.
    bound.delete(key);
  } else {
    const base = unboundClient('session', includeDeleted);
    client = guardClient(user === null ? base : base.$setAuth(user));
    if (bound.size >= BOUND_CLIENTS) bound.delete(bound.keys().next().value as string);
  }
  bound.set(key, client);
  return client;
}

const SYSTEM_REASON = /^[a-z0-9][a-z0-9._:-]{0,62}$/;

/**
 * The one way around the access rules, for work no user does: webhooks,
 * scheduled jobs, seeding, migrations of data. Every write it makes is still
 * audited, with actor `system:<reason>` and role `SYSTEM`, and it has no raw
 * SQL or plugin escape hatches either. Deleted rows stay hidden unless
 * `includeDeleted` is set.
 *
 * @example
 * const db = createSystemDb('stripe-webhook');
 * await db.clinic.update({ where: { id }, data: { name } });
 */
export function createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
  if (!SYSTEM_REASON.test(reason)) {
    throw new TypeError(
      `createSystemDb(reason): reason must be 1-63 characters of a-z, 0-9, '.', '_', ':' or '-', starting with a letter or digit (got ${JSON.stringify(reason)})`,
    );
  }
  const base = unboundClient('system', options.includeDeleted === true);
  return guardClient(base.$setAuth({ id: `system:${reason}`, role: 'SYSTEM', memberships: [] }));
}

/**
 * Closes the shared pool (graceful shutdown, end of a script or test file).
 * Waits for checked-out connections to be released. A later `createDb` opens
 * a new pool.
 */
export async function closeDb(): Promise<void> {
  const current = connection;
  connection = undefined;
  if (current) await current.pool.end();
}

/** Pool counters for health checks and metrics. */
export function poolStats(): { total: number; idle: number; waiting: number } | null {
  if (!connection) return null;
  const { totalCount, idleCount, waitingCount } = connection.pool;
  return { total: totalCount, idle: idleCount, waiting: waitingCount };
}
