import { parseSessionUser, type SessionInput } from '@acme/auth';
import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import type pg from 'pg';
import { schema } from '../zenstack/schema.ts';
import { AuditPlugin } from './audit/audit-plugin.ts';
import type { DbConfig } from './config.ts';
import { PolicyExplainPlugin } from './explain/rejection.ts';
import {
  ConstantPolicyPlugin,
  fastPathsEnabled,
  PagedFindManyPlugin,
  preparedStatementsEnabled,
  usePreparedStatements,
} from './fast-path/index.ts';
import { type BlockedMember, guardClient } from './guard.ts';
import { PolicyFoldingPlugin } from './policy-folding.ts';
import { openPool } from './pool.ts';
import { RlsContextPlugin } from './rls/session-context.ts';
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
  /** The fast paths of src/fast-path (default on; `ACME_DB_FAST_PATHS=0` turns them off). `false`: the plain ZenStack path. */
  fastPaths?: boolean;
  /**
   * Organization mode (CENTRAL_DATABASE_URL): the organization (id or slug)
   * to work in when the session names none, as the system client must.
   */
  org?: string;
}

/** How a runtime opens its pools: src/pool.ts by default; organization mode passes its own (src/orgs). */
export interface RuntimeOptions {
  openPool?: (config: DbConfig, role: 'app' | 'owner') => pg.Pool;
  /** Distinct sessions kept bound at once (default 1,000). */
  boundClients?: number;
}

type Kind = 'session' | 'system';

/**
 * ZenStack runs the *last* plugin of the list first. The policy plugin goes
 * last so that it judges each statement as the caller wrote it (a delete as a
 * delete); soft delete then rewrites it, the audit plugin records what
 * finally runs, and (with row-level security) the context plugin hands the
 * session to PostgreSQL for every statement, the audit's included. The system
 * client has the same list minus policies and context. Policy folding works a
 * level above (whole operations, `onQuery`), before any SQL is built; policy
 * explain is outermost, so it sees every rejection on its way out.
 */
function pluginsFor(kind: Kind, includeDeleted: boolean, rls: boolean, fast = false): AnyPlugin[] {
  const inner = [new AuditPlugin(), softDeletePlugin({ includeDeleted })];
  if (kind === 'system') return inner;
  return [
    ...(rls ? [new RlsContextPlugin()] : []),
    ...inner,
    fast ? new ConstantPolicyPlugin() : new PolicyPlugin(),
    new PolicyFoldingPlugin(),
    ...(fast ? [new PagedFindManyPlugin()] : []), // pages before the rules run (each page statement is judged)
    new PolicyExplainPlugin(),
  ];
}

/** Distinct sessions kept bound at once; the oldest is dropped first. */
const BOUND_CLIENTS = 1_000;

/**
 * Pools and clients for one configuration. Sessions connect as the
 * application role (APP_DATABASE_URL, under row-level security when set);
 * the system client as the owner (DATABASE_URL), opened on first use.
 */
export class DbRuntime {
  readonly rls: boolean;
  private readonly appPool: pg.Pool;
  private readonly appRoot: RootClient;
  private owner: { pool: pg.Pool; root: RootClient } | undefined;
  private readonly unbound = new Map<string, RootClient>();
  /** Bound clients by session: `$setAuth` builds a new client (~11 µs), a lookup is well under 1 µs. */
  private readonly bound = new Map<string, EnhancedClient>();

  private readonly open: (config: DbConfig, role: 'app' | 'owner') => pg.Pool;
  private readonly boundMax: number;

  constructor(
    private readonly config: DbConfig,
    options: RuntimeOptions = {},
  ) {
    this.rls = config.appConnectionString !== undefined;
    this.open = options.openPool ?? ((c, role) => openPool(c, undefined, role));
    this.boundMax = options.boundClients ?? BOUND_CLIENTS;
    this.appPool = this.open(config, 'app');
    if (preparedStatementsEnabled()) usePreparedStatements(this.appPool);
    this.appRoot = buildRootClient(this.appPool);
    if (!this.rls) this.owner = { pool: this.appPool, root: this.appRoot };
  }

  private unboundClient(kind: Kind, includeDeleted: boolean, fast = false): RootClient {
    const key = `${kind}/${includeDeleted}/${fast}`;
    let client = this.unbound.get(key);
    if (!client) {
      const root = kind === 'session' ? this.appRoot : this.ownerRoot();
      client = root.$setOptions({
        ...root.$options,
        plugins: pluginsFor(kind, includeDeleted, this.rls, fast),
      }) as RootClient;
      this.unbound.set(key, client);
    }
    return client;
  }

  private ownerRoot(): RootClient {
    if (!this.owner) {
      const pool = this.open(this.config, 'owner');
      if (preparedStatementsEnabled()) usePreparedStatements(pool);
      this.owner = { pool, root: buildRootClient(pool) };
    }
    return this.owner.root;
  }

  createDb(session: SessionInput | null, options: DbOptions = {}): EnhancedClient {
    const includeDeleted = options.includeDeleted === true;
    const fast = fastPathsEnabled(options.fastPaths);
    const user = session === null ? null : parseSessionUser(session);
    const memberships = user?.memberships.map((m) => `${m.clinicId}\u0001${m.role}`).join('\u0002') ?? '';
    const key = `${includeDeleted ? 1 : 0}${fast ? 1 : 0}\u0000${user?.role ?? ''}\u0000${user?.id ?? ''}\u0000${memberships}`;
    let client = this.bound.get(key);
    if (client) {
      // Refresh its place: the map's insertion order is the eviction order.
      this.bound.delete(key);
    } else {
      const base = this.unboundClient('session', includeDeleted, fast);
      client = guardClient(user === null ? base : base.$setAuth(user));
      if (this.bound.size >= this.boundMax) this.bound.delete(this.bound.keys().next().value as string);
    }
    this.bound.set(key, client);
    return client;
  }

  createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
    const base = this.unboundClient('system', options.includeDeleted === true);
    return guardClient(base.$setAuth({ id: `system:${reason}`, role: 'SYSTEM', memberships: [] }));
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    const { totalCount, idleCount, waitingCount } = this.appPool;
    return { total: totalCount, idle: idleCount, waiting: waitingCount };
  }

  /** Waits for checked-out connections to be released, then closes the pools. */
  async close(): Promise<void> {
    await this.appPool.end();
    if (this.owner && this.owner.pool !== this.appPool) await this.owner.pool.end();
  }
}
