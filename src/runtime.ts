import { parseSessionUser, type SessionInput } from '@acme/auth';
import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import { PostgresDialect } from '@zenstackhq/orm/dialects/postgres';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import type { PostgresPool } from 'kysely';
import type pg from 'pg';
import { schema } from '../zenstack/schema.ts';
import { AuditPlugin } from './audit/audit-plugin.ts';
import type { DbConfig } from './config.ts';
import { PolicyExplainPlugin } from './explain/rejection.ts';
import {
  ConstantPolicyPlugin,
  fastPathsEnabled,
  LateralFencePlugin,
  PagedFindManyPlugin,
  preparedStatementsEnabled,
  type TwinOf,
  usePreparedStatements,
  WritePathPlugin,
} from './fast-path/index.ts';
import {
  QUERY_CACHE_SIZE,
  QueryCache,
  QueryCachePlugin,
  type QueryCacheStats,
  QueryCapturePlugin,
  queryCacheEnabled,
} from './fast-path/query-cache/index.ts';
import { type BlockedMember, guardClient } from './guard.ts';
import { NestedWriteParentPlugin } from './nested-write-parent.ts';
import { observePool } from './observability/metrics.ts';
import { OperationObservabilityPlugin, StatementObservabilityPlugin } from './observability/observability-plugin.ts';
import { PolicyFoldingPlugin } from './policy-folding.ts';
import { openPool } from './pool.ts';
import { isLsn } from './replicas/lsn.ts';
import { ReplicaRouting, type ServerStats } from './replicas/replica-routing.ts';
import { RlsContextPlugin } from './rls/session-context.ts';
import { softDeletePlugin, softDeleteWriteScope } from './soft-delete.ts';

function buildRootClient(pool: PostgresPool) {
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
  /**
   * Organization mode (CENTRAL_DATABASE_URL): the organization (id or slug)
   * to work in when the session names none, as the system client must.
   */
  org?: string;
  /** With replicas (DATABASE_REPLICA_URLS): read from the primary too. */
  primary?: boolean;
  /**
   * With replicas: reads see at least this WAL position (`minLsnOf(db)` from an
   * earlier request, e.g. carried in a cookie). Ignored without replicas.
   */
  minLsn?: string;
  /** The fast paths of src/fast-path (default on; `ACME_DB_FAST_PATHS=0` turns them off). `false`: the plain ZenStack path. */
  fastPaths?: boolean;
  /** The compiled-query cache for reads (src/fast-path/query-cache; default on with the fast paths, `ACME_DB_QUERY_CACHE=0` off). */
  queryCache?: boolean;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  /** With replicas: the primary and each replica, and the reads each answered. */
  servers?: ServerStats[];
  /** The compiled-query cache of session reads (src/fast-path/query-cache). */
  queryCache: QueryCacheStats;
}

/** How a runtime opens its pools: src/pool.ts by default; organization mode passes its own (src/orgs). */
export interface RuntimeOptions {
  openPool?: (config: DbConfig, role: 'app' | 'owner') => pg.Pool;
  /** Distinct sessions kept bound at once (default 1,000). */
  boundClients?: number;
  /** Read shapes the compiled-query cache keeps (default 1,000). */
  queryCacheSize?: number;
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
function pluginsFor(
  kind: Kind,
  includeDeleted: boolean,
  rls: boolean,
  fast = false,
  twinOf?: TwinOf,
  cache?: AnyPlugin,
): AnyPlugin[] {
  const inner = [new AuditPlugin(), softDeletePlugin({ includeDeleted }), softDeleteWriteScope()];
  if (kind === 'system') return withObservability(kind, inner);
  return withObservability(kind, [
    ...(fast ? [new LateralFencePlugin()] : []), // on the final tree, policy filters included
    ...(rls ? [new RlsContextPlugin()] : []),
    ...inner,
    fast ? new ConstantPolicyPlugin() : new PolicyPlugin(),
    ...(fast && twinOf ? [new WritePathPlugin(twinOf)] : []), // inside folding: only allowed writes reach it
    new NestedWriteParentPlugin(),
    ...(cache ? [cache] : []), // a hit skips ZenStack's handler; folding and paging still come first
    new PolicyFoldingPlugin(),
    ...(fast ? [new PagedFindManyPlugin()] : []), // pages before the rules run (each page statement is judged)
    new PolicyExplainPlugin(),
  ]);
}

/**
 * The twin of write-path.ts: the session stack's statement-level plugins
 * (audit, soft delete, row-level security context, statement spans) without
 * the policy plugin, for writes the session's rules already decided.
 */
function twinPlugins(includeDeleted: boolean, rls: boolean): AnyPlugin[] {
  return [
    new StatementObservabilityPlugin(),
    ...(rls ? [new RlsContextPlugin()] : []),
    new AuditPlugin(),
    softDeletePlugin({ includeDeleted }),
    softDeleteWriteScope(),
  ];
}

/** Observability wraps the whole stack: SQL spans innermost (the final statements), operations outermost. */
function withObservability(kind: Kind, plugins: AnyPlugin[]): AnyPlugin[] {
  return [new StatementObservabilityPlugin(), ...plugins, new OperationObservabilityPlugin(kind === 'session')];
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
  /** Read replicas (src/replicas/), when DATABASE_REPLICA_URLS names any. */
  private readonly replicas: ReplicaRouting | undefined;
  private readonly appPool: pg.Pool;
  private readonly appRouted: pg.Pool | PostgresPool;
  private readonly appRoot: RootClient;
  private owner: { pool: pg.Pool | PostgresPool; root: RootClient } | undefined;
  private readonly unbound = new Map<string, RootClient>();
  /** Bound clients by session: `$setAuth` builds a new client (~11 µs), a lookup is well under 1 µs. */
  private readonly bound = new Map<string, EnhancedClient>();

  private readonly open: (config: DbConfig, role: 'app' | 'owner') => pg.Pool;
  private readonly boundMax: number;
  /** Shared by every session client of this runtime (entries are keyed by unbound client and session). */
  private readonly queryCache: QueryCache;

  constructor(
    private readonly config: DbConfig,
    options: RuntimeOptions = {},
  ) {
    this.rls = config.appConnectionString !== undefined;
    this.open = options.openPool ?? ((c, role) => openPool(c, undefined, role));
    this.boundMax = options.boundClients ?? BOUND_CLIENTS;
    this.queryCache = new QueryCache(options.queryCacheSize ?? QUERY_CACHE_SIZE);
    this.replicas = ReplicaRouting.fromConfig(config);
    this.appPool = this.open(config, 'app');
    observePool('app', this.appPool);
    if (preparedStatementsEnabled()) usePreparedStatements(this.appPool);
    this.appRouted = this.routed(this.appPool, 'app');
    this.appRoot = buildRootClient(this.appRouted);
    if (!this.rls) this.owner = { pool: this.appRouted, root: this.appRoot };
  }

  private unboundClient(kind: Kind, includeDeleted: boolean, fast = false, cached = false): RootClient {
    const key = `${kind}/${includeDeleted}/${fast}/${cached}`;
    let client = this.unbound.get(key);
    if (!client) {
      const root = kind === 'session' ? this.appRoot : this.ownerRoot();
      const twinOf = kind === 'session' && fast ? this.twins(root, includeDeleted) : undefined;
      const cache = cached ? new QueryCachePlugin(this.queryCache, key) : undefined;
      const plugins = pluginsFor(kind, includeDeleted, this.rls, fast, twinOf, cache);
      // The capture innermost: it sees each statement as the driver gets it.
      client = this.withPlugins(root, cache ? [new QueryCapturePlugin(), ...plugins] : plugins);
      this.unbound.set(key, client);
    }
    return client;
  }

  private withPlugins(root: RootClient, plugins: AnyPlugin[]): RootClient {
    const routing = this.replicas ? [this.replicas.plugin] : [];
    return root.$setOptions({ ...root.$options, plugins: [...plugins, ...routing] }) as RootClient;
  }

  /** Twin clients (write-path.ts), bound to the same auth object as the session client asking. */
  private twins(root: RootClient, includeDeleted: boolean): TwinOf {
    const base = this.withPlugins(root, twinPlugins(includeDeleted, this.rls));
    const bound = new WeakMap<object, RootClient>();
    return (client) => {
      const auth = client.$auth as object | undefined;
      if (!auth) return undefined;
      let twin = bound.get(auth);
      if (!twin) {
        twin = base.$setAuth(auth as Parameters<RootClient['$setAuth']>[0]) as RootClient;
        bound.set(auth, twin);
      }
      return twin as unknown as ReturnType<TwinOf>;
    };
  }

  private ownerRoot(): RootClient {
    if (!this.owner) {
      const ownerPool = this.open(this.config, 'owner');
      observePool('owner', ownerPool);
      if (preparedStatementsEnabled()) usePreparedStatements(ownerPool);
      const pool = this.routed(ownerPool, 'owner');
      this.owner = { pool, root: buildRootClient(pool) };
    }
    return this.owner.root;
  }

  /** The pool itself, or with replicas the pool with its reads routed to them. */
  private routed(pool: pg.Pool, role: 'app' | 'owner'): pg.Pool | PostgresPool {
    const { replicas, config } = this;
    if (!replicas) return pool;
    return replicas.route(pool, (server, onError) =>
      openPool(ReplicaRouting.onReplica(config, server), onError, role, undefined, replicas.Client),
    );
  }

  createDb(session: SessionInput | null, options: DbOptions = {}): EnhancedClient {
    const includeDeleted = options.includeDeleted === true;
    const fast = fastPathsEnabled(options.fastPaths);
    const cached = fast && queryCacheEnabled(options.queryCache);
    const user = session === null ? null : parseSessionUser(session);
    const identity = `${user?.role ?? ''}\u0000${user?.id ?? ''}`;
    if (options.minLsn !== undefined) this.requireLsn(identity, options.minLsn);
    const memberships = user?.memberships.map((m) => `${m.clinicId}\u0001${m.role}`).join('\u0002') ?? '';
    const key = `${includeDeleted ? 1 : 0}${fast ? 1 : 0}${cached ? 1 : 0}${options.primary ? 'p' : ''}\u0000${identity}\u0000${memberships}`;
    let client = this.bound.get(key);
    if (client) {
      // Refresh its place: the map's insertion order is the eviction order.
      this.bound.delete(key);
    } else {
      const base = this.unboundClient('session', includeDeleted, fast, cached);
      // Routing finds a client by its auth object: with replicas each bound client gets its own
      // (a ValidSession is passed through as is, and `{ primary }` must not leak into its other clients).
      const auth = user && this.replicas ? Object.freeze({ ...user }) : user;
      client = guardClient(auth === null ? base : base.$setAuth(auth));
      this.replicas?.bind(auth ? [auth, client] : [client], identity, options.primary === true);
      if (this.bound.size >= this.boundMax) this.bound.delete(this.bound.keys().next().value as string);
    }
    this.bound.set(key, client);
    return client;
  }

  createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
    const base = this.unboundClient('system', options.includeDeleted === true);
    const auth = { id: `system:${reason}`, role: 'SYSTEM', memberships: [] };
    const identity = `SYSTEM\u0000${auth.id}`;
    if (options.minLsn !== undefined) this.requireLsn(identity, options.minLsn);
    const client = guardClient(base.$setAuth(auth));
    this.replicas?.bind([auth, client], identity, options.primary === true);
    return client;
  }

  /** The WAL position `db`'s reads wait for (its latest write, or the minLsn it was given); null without. */
  minLsnOf(db: EnhancedClient): string | null {
    return this.replicas?.minLsnOf(db) ?? null;
  }

  private requireLsn(identity: string, minLsn: string): void {
    if (!isLsn(minLsn)) throw new TypeError(`minLsn must be a PostgreSQL LSN such as "0/3000060" (from minLsnOf)`);
    this.replicas?.require(identity, minLsn);
  }

  poolStats(): PoolStats {
    const { totalCount, idleCount, waitingCount } = this.appPool;
    const stats: PoolStats = {
      total: totalCount,
      idle: idleCount,
      waiting: waitingCount,
      queryCache: this.queryCache.stats(),
    };
    if (this.replicas) stats.servers = this.replicas.stats();
    return stats;
  }

  /** Waits for checked-out connections to be released, then closes the pools. */
  async close(): Promise<void> {
    await this.replicas?.close();
    await this.appRouted.end();
    if (this.owner && this.owner.pool !== this.appRouted) await this.owner.pool.end();
  }
}
