import { parseSessionUser, type SessionInput } from '@acme/auth';
import { type AnyPlugin, ZenStackClient } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import type pg from 'pg';
import { schema as projectSchema } from '../zenstack/schema.ts';
import type { DbConfig } from './config.ts';
import { AcmeDialect, type ConnectionSource, contextCacheEnabled, type ReplicaPools } from './driver/index.ts';
import { fastPathsEnabled, preparedStatementsEnabled, type TwinOf } from './fast-path/index.ts';
import {
  QUERY_CACHE_SIZE,
  QueryCache,
  type QueryCacheStats,
  queryCacheEnabled,
} from './fast-path/query-cache/index.ts';
import { type BlockedMember, guardClient } from './guard.ts';
import { observePool } from './observability/metrics.ts';
import { slowQueryThresholdMs } from './observability/slow-query-log.ts';
import type { OperationScope } from './operation-scope.ts';
import { hasAuditModel, pluginsFor, type StackFlags } from './plugin-stack.ts';
import { foldsToRefusal } from './policy-folding.ts';
import { openPool } from './pool.ts';
import { isLsn } from './replicas/lsn.ts';
import { ReplicaRouting, type ServerStats } from './replicas/replica-routing.ts';
import { withModelDelegates } from './zenstack-internals/index.ts';

function buildRootClient(schema: SchemaDef, dialect: AcmeDialect) {
  // The generic layers work on any schema; the types are this project's (other schemas cast).
  return new ZenStackClient(schema as typeof projectSchema, { dialect, plugins: [] as AnyPlugin[] });
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
  /** The bound-client cache: createDb calls that found their session's client, and those that built one. */
  boundClients: BoundClientStats;
}

export interface BoundClientStats {
  hits: number;
  misses: number;
  size: number;
  max: number;
}

/** How a runtime opens its pools: src/pool.ts by default; organization mode passes its own (src/orgs). */
export interface RuntimeOptions {
  /** Pools must pipeline (`openPool(…, { pipeline: true })`): the driver sends BEGIN, set_config and the statement together. */
  openPool?: (config: DbConfig, role: 'app' | 'owner') => pg.Pool;
  /** Distinct sessions kept bound at once (default: DbConfig.boundClientsMax, DB_BOUND_CLIENTS_MAX). */
  boundClients?: number;
  /**
   * Organization mode (src/orgs/org-scope.ts): one runtime serves every organization. `plugin` is the
   * outermost layer of every stack and puts the client's organization (from its auth object) into the
   * operation scope; `of(auth)` is that scope, which the guard's `$transaction` runs in too.
   */
  clientScope?: ClientScope;
  /** Read shapes the compiled-query cache keeps (default 1,000). */
  queryCacheSize?: number;
  /**
   * The ZenStack schema (default: this project's). The generic layers (rules, folding, cache, fence, write
   * path, driver) work on any schema; the audit layer needs its AuditLog model and is left out without one.
   */
  schema?: SchemaDef;
}

export interface ClientScope {
  plugin: AnyPlugin;
  of(auth: unknown): OperationScope;
}

type Kind = 'session' | 'system';

/** A role's pool and the root clients over it: with lazy BEGIN (fast paths) and without. */
interface Role {
  pool: pg.Pool;
  replicas?: ReplicaPools;
  roots: Map<boolean, RootClient>;
}

/**
 * Pools and clients for one configuration. Sessions connect as the
 * application role (APP_DATABASE_URL, under row-level security when set);
 * the system client as the owner (DATABASE_URL), opened on first use.
 */
export class DbRuntime {
  readonly rls: boolean;
  readonly schema: SchemaDef;
  /** Read replicas (src/replicas/), when DATABASE_REPLICA_URLS names any. */
  private readonly replicas: ReplicaRouting | undefined;
  private readonly app: Role;
  private owner: Role | undefined;
  private readonly unbound = new Map<string, RootClient>();
  /** Bound clients by session: `$setAuth` builds a new client (~11 µs), a lookup is well under 1 µs. */
  private readonly bound = new Map<string, EnhancedClient>();

  private readonly open: (config: DbConfig, role: 'app' | 'owner') => pg.Pool;
  private readonly boundMax: number;
  private boundHits = 0;
  private boundMisses = 0;
  /** Shared by every session client of this runtime (entries are keyed by unbound client and session). */
  private readonly queryCache: QueryCache;
  private readonly slowMs = slowQueryThresholdMs();
  private readonly prepared = preparedStatementsEnabled();
  private readonly contextCache = contextCacheEnabled();
  private readonly audit: boolean;
  private readonly clientScope: ClientScope | undefined;

  constructor(
    private readonly config: DbConfig,
    options: RuntimeOptions = {},
  ) {
    this.rls = config.appConnectionString !== undefined;
    this.schema = options.schema ?? projectSchema;
    this.audit = hasAuditModel(this.schema);
    this.open = options.openPool ?? ((c, role) => openPool(c, { role, pipeline: true }));
    this.boundMax = options.boundClients ?? config.boundClientsMax;
    this.clientScope = options.clientScope;
    this.queryCache = new QueryCache(options.queryCacheSize ?? QUERY_CACHE_SIZE);
    this.replicas = ReplicaRouting.fromConfig(config);
    this.app = this.role('app');
    if (!this.rls) this.owner = this.app;
  }

  private role(role: 'app' | 'owner'): Role {
    const pool = this.open(this.config, role);
    observePool(role, pool);
    const { replicas, config } = this;
    const onReplica = replicas?.pools(pool, (server, onError) =>
      openPool(ReplicaRouting.onReplica(config, server), { role, onError, pipeline: true }),
    );
    return { pool, roots: new Map(), ...(onReplica ? { replicas: onReplica } : {}) };
  }

  /** The root client of a role; `fast`: BEGIN waits for the first statement (src/driver/connection.ts). */
  private root(role: Role, fast: boolean): RootClient {
    let root = role.roots.get(fast);
    if (!root) {
      const dialect = new AcmeDialect({
        primary: role.pool as ConnectionSource,
        sessionContext: role === this.app && this.rls,
        pipelined: true,
        lazyBegin: fast,
        prepared: fast && this.prepared,
        contextCache: fast && this.contextCache,
        ...(role.replicas ? { replicas: role.replicas } : {}),
        slowMs: this.slowMs,
      });
      root = buildRootClient(this.schema, dialect);
      role.roots.set(fast, root);
    }
    return root;
  }

  private unboundClient(kind: Kind, includeDeleted: boolean, fast = false, cached = false): RootClient {
    const key = `${kind}/${includeDeleted}/${fast}/${cached}`;
    let client = this.unbound.get(key);
    if (!client) {
      const root = this.root(kind === 'session' ? this.app : this.ownerRole(), fast);
      const twinOf = kind === 'session' && fast ? this.twins(root, includeDeleted) : undefined;
      const flags: StackFlags = { kind, rls: this.rls, fast, cached, audit: this.audit };
      client = this.withPlugins(root, flags, includeDeleted, key, twinOf);
      this.unbound.set(key, client);
    }
    return client;
  }

  private withPlugins(
    root: RootClient,
    flags: StackFlags,
    includeDeleted: boolean,
    cacheScope: string,
    twinOf?: TwinOf,
  ): RootClient {
    const parts = {
      includeDeleted,
      cache: this.queryCache,
      cacheScope,
      ...(twinOf ? { twinOf } : {}),
      ...(this.replicas ? { route: this.replicas.plugin } : {}),
      ...(this.clientScope ? { org: this.clientScope.plugin } : {}),
    };
    return root.$setOptions({ ...root.$options, plugins: pluginsFor(flags, parts) }) as RootClient;
  }

  /** Twin clients (write-path.ts), bound to the same auth object as the session client asking. */
  private twins(root: RootClient, includeDeleted: boolean): TwinOf {
    const flags: StackFlags = { kind: 'twin', rls: this.rls, fast: true, cached: false, audit: this.audit };
    const base = this.withPlugins(root, flags, includeDeleted, 'twin');
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

  private ownerRole(): Role {
    this.owner ??= this.role('owner');
    return this.owner;
  }

  createDb(session: SessionInput | null, options: DbOptions = {}): EnhancedClient {
    const includeDeleted = options.includeDeleted === true;
    const fast = fastPathsEnabled(options.fastPaths);
    const cached = fast && queryCacheEnabled(options.queryCache);
    const user = session === null ? null : parseSessionUser(session);
    const identity = `${user?.role ?? ''}\u0000${user?.id ?? ''}`;
    if (options.minLsn !== undefined) this.requireLsn(identity, options.minLsn);
    // JSON of the validated session: no two sessions share a key, whatever their ids hold.
    const key = JSON.stringify([includeDeleted, fast, cached, options.primary === true, user]);
    let client = this.bound.get(key);
    if (client) {
      this.boundHits++;
      // Refresh its place: the map's insertion order is the eviction order.
      this.bound.delete(key);
    } else {
      this.boundMisses++;
      const base = this.unboundClient('session', includeDeleted, fast, cached);
      // Routing finds a client by its auth object: with replicas each bound client gets its own
      // (a ValidSession is passed through as is, and `{ primary }` must not leak into its other clients).
      const auth = user && this.replicas ? Object.freeze({ ...user }) : user;
      const session = auth === null ? base : base.$setAuth(auth);
      // Fast paths: model accessors built once per bound client, and a write the session alone refuses
      // answered by the plugins without ZenStack's operation handler (src/zenstack-internals/model-delegates.ts).
      const accessors = fast ? withModelDelegates(session, foldsToRefusal) : session;
      client = guardClient(accessors, this.clientScope?.of(auth));
      this.replicas?.bind(auth ? [auth, client] : [client], identity, options.primary === true);
      if (this.bound.size >= this.boundMax) this.bound.delete(this.bound.keys().next().value as string);
    }
    this.bound.set(key, client);
    return client;
  }

  createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
    const base = this.unboundClient('system', options.includeDeleted === true);
    // Organization mode: the organization rides in the auth object, as a session's does (src/orgs/org-scope.ts).
    const org = this.clientScope && options.org !== undefined ? { orgSlug: options.org } : {};
    const auth = { id: `system:${reason}`, role: 'SYSTEM', memberships: [], ...org };
    const identity = `SYSTEM\u0000${auth.id}`;
    if (options.minLsn !== undefined) this.requireLsn(identity, options.minLsn);
    const client = guardClient(base.$setAuth(auth), this.clientScope?.of(auth));
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
    const { totalCount, idleCount, waitingCount } = this.app.pool;
    const stats: PoolStats = {
      total: totalCount,
      idle: idleCount,
      waiting: waitingCount,
      queryCache: this.queryCache.stats(),
      boundClients: this.boundStats(),
    };
    if (this.replicas) stats.servers = this.replicas.stats();
    return stats;
  }

  boundStats(): BoundClientStats {
    return { hits: this.boundHits, misses: this.boundMisses, size: this.bound.size, max: this.boundMax };
  }

  /** Waits for checked-out connections to be released, then closes the pools. */
  async close(): Promise<void> {
    await this.replicas?.close();
    const roles = this.owner && this.owner !== this.app ? [this.app, this.owner] : [this.app];
    await Promise.all(roles.flatMap((r) => [r.pool.end(), r.replicas?.end()]));
  }
}
