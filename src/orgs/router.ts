import { InvalidSessionError, ORG_SLUG, parseSessionUser, type SessionInput, type SessionUser } from '@acme/auth';
import { ZenStackClient } from '@zenstackhq/orm';
import type pg from 'pg';
import { schema as centralSchema } from '../../zenstack/central/schema.ts';
import { AcmeDialect } from '../driver/index.ts';
import { openPool } from '../pool.ts';
import { type DbOptions, DbRuntime, type EnhancedClient } from '../runtime.ts';
import { ConnectionBudget } from './budget.ts';
import type { OrgConfig } from './config.ts';
import { type CredentialsResolver, defaultCredentialsResolver } from './credentials.ts';
import { type CentralClient, OrgDirectory, type OrgLookup, type OrgRecord } from './directory.ts';
import { OrgForbiddenError, OrgNotFoundError, OrgRoutingError } from './errors.ts';
import { type Access, OrgPool, type OrgPoolDeps, reclaimIdle, refuse } from './org-pool.ts';
import { OrgScopePlugin, orgScopeOf } from './org-scope.ts';
import { type PoolCounts, ScopedOrgPool } from './scoped-pool.ts';

export type { PoolCounts };

/** One organization's pools (the rest of its clients is shared: src/orgs/org-scope.ts). */
interface Entry {
  slug: string | undefined;
  app: OrgPool;
  owner: OrgPool;
  lastUsed: number;
}

export interface OrgPoolStats {
  /** DB_MAX_CONNECTIONS_TOTAL, and what is open / was open at most / waits for a permit now. */
  cap: number;
  open: number;
  peak: number;
  waiting: number;
  /** Idle connections closed to make room for another organization. */
  reclaimed: number;
  central: PoolCounts;
  organizations: Array<{ org: string; lastUsed: number } & PoolCounts>;
}

const PLACEHOLDER_URL = 'postgresql://organization.invalid/';

const counts = (p: { totalCount: number; idleCount: number; waitingCount: number }): PoolCounts => ({
  total: p.totalCount,
  idle: p.idleCount,
  waiting: p.waitingCount,
});
const sum = (a: PoolCounts, b: PoolCounts): PoolCounts => ({
  total: a.total + b.total,
  idle: a.idle + b.idle,
  waiting: a.waiting + b.waiting,
});

/**
 * Organization mode: one DbRuntime (plugin stacks, schema, bound clients) for
 * every organization, and a pair of pools (app, owner) per organization,
 * opened on first use and picked per connection from the organization in the
 * operation scope (src/orgs/org-scope.ts). All pools share one connection
 * budget; idle connections of the least recently used organizations are
 * closed when another needs room, and organizations beyond `runtimesMax`
 * that hold no connection are forgotten.
 */
export class OrgRouter {
  readonly budget: ConnectionBudget;
  readonly directory: OrgDirectory;
  readonly central: CentralClient;
  private readonly centralPool: pg.Pool;
  private readonly entries = new Map<string, Entry>();
  /** The one runtime every organization's clients come from. */
  private readonly runtime: DbRuntime;
  private readonly deps: OrgPoolDeps;
  private resolver: CredentialsResolver;
  private tick = 0;

  constructor(
    readonly config: OrgConfig,
    resolver?: CredentialsResolver,
  ) {
    this.budget = new ConnectionBudget(config.maxConnectionsTotal);
    this.budget.reclaim = () => this.reclaimOne();
    this.resolver = resolver ?? defaultCredentialsResolver(config);
    const centralConfig = {
      ...config.pool,
      poolMax: 2,
      connectionString: config.centralUrl,
      appConnectionString: undefined,
    };
    this.centralPool = openPool(centralConfig, { permits: this.budget });
    this.centralPool.on('release', () => this.budget.connectionIdle());
    const dialect = new AcmeDialect({
      primary: this.centralPool,
      sessionContext: false,
      pipelined: false,
      lazyBegin: false,
      prepared: false,
      slowMs: 0,
    });
    this.central = new ZenStackClient(centralSchema, { dialect });
    this.directory = new OrgDirectory(this.central, config.directoryTtlMs);
    this.deps = {
      directory: this.directory,
      budget: this.budget,
      resolveCredentials: () => this.resolver,
      pool: this.config.pool,
      onError: (err: Error) => console.warn(`[@acme/db] idle connection failed and was dropped: ${err.message}`),
    };
    this.runtime = new DbRuntime(
      // Organization databases have no replicas here: reads go to the organization's own server.
      { ...config.pool, replicaUrls: [], connectionString: PLACEHOLDER_URL, appConnectionString: PLACEHOLDER_URL },
      {
        boundClients: config.boundClientsMax,
        clientScope: { plugin: new OrgScopePlugin(), of: orgScopeOf },
        openPool: (_config, role) =>
          new ScopedOrgPool(
            (org) => this.poolFor(org, role),
            () => this.counts(role),
          ) as unknown as pg.Pool,
      },
    );
    // Warm: the first requests find the list in memory.
    this.directory.refresh().catch(() => {});
  }

  setResolver(resolver: CredentialsResolver): void {
    this.resolver = resolver;
  }

  createDb(session: SessionInput | null, options: DbOptions = {}): EnhancedClient {
    const lookup = session?.orgId
      ? ({ by: 'id', value: session.orgId } as const)
      : session?.orgSlug
        ? ({ by: 'slug', value: session.orgSlug } as const)
        : options.org
          ? slugLookup(options.org)
          : undefined;
    if (!lookup) {
      throw new OrgRoutingError(
        'Organization mode (CENTRAL_DATABASE_URL): the session must name its organization (orgId or orgSlug), or pass { org }.',
        undefined,
      );
    }
    if (session === null) {
      // The client's organization rides in its auth object (org-scope.ts), and an anonymous one has none.
      throw new OrgRoutingError(
        'Organization mode: anonymous clients (createDb(null)) are not available; sessions name their organization.',
        lookup.value,
      );
    }
    const record = this.check(lookup, 'session', session);
    if (session.orgId && session.orgSlug && record && record.slug !== session.orgSlug) {
      throw new InvalidSessionError([`orgId and orgSlug name different organizations`]);
    }
    // A session that names no organization works in `{ org }`: its auth object carries it (org-scope.ts).
    const named = session.orgId || session.orgSlug ? session : { ...session, orgSlug: lookup.value };
    return this.runtime.createDb(named, options);
  }

  createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
    if (!options.org) {
      throw new OrgRoutingError(
        'Organization mode: createSystemDb(reason, { org: slug }) must name the organization.',
        undefined,
      );
    }
    this.check(slugLookup(options.org), 'system');
    return this.runtime.createSystemDb(reason, options);
  }

  /**
   * The session loadSession builds in organization mode: the organization
   * is looked up (fresh within ORG_DIRECTORY_TTL_MS) and must be active, the
   * user must be one of its members (central OrganizationMember), and the
   * role is the one they have there.
   */
  async authorize(identity: SessionInput): Promise<Omit<SessionUser, 'memberships'>> {
    const user = parseSessionUser({ ...identity, memberships: [] });
    const lookup: OrgLookup | undefined = user.orgId
      ? { by: 'id', value: user.orgId }
      : user.orgSlug
        ? { by: 'slug', value: user.orgSlug }
        : undefined;
    if (!lookup) throw new OrgRoutingError('Organization mode: the session must name its organization.', undefined);
    const record = await this.directory.resolve(lookup);
    refuse(record, 'session');
    if (user.orgId && user.orgSlug && record.slug !== user.orgSlug) {
      throw new InvalidSessionError(['orgId and orgSlug name different organizations']);
    }
    const member = await this.central.organizationMember.findUnique({
      where: { organizationId_userId: { organizationId: record.id, userId: user.id } },
      select: { role: true },
    });
    if (!member) throw new OrgForbiddenError(record.slug, 'not-a-member');
    return { id: user.id, role: member.role as SessionUser['role'], orgId: record.id, orgSlug: record.slug };
  }

  /** Refuses an organization the caller may not use, when the list knows it (else the first connect does). */
  private check(lookup: OrgLookup, access: Access, session?: SessionInput | null): OrgRecord | undefined {
    const record = this.directory.peek(lookup);
    if (!record && session && lookup.by === 'slug' && !ORG_SLUG.test(lookup.value)) parseSessionUser(session); // the session's own error
    if (record === null) throw new OrgNotFoundError(lookup.value);
    if (record) refuse(record, access);
    return record;
  }

  /** The pool of an organization for a connection now (ScopedOrgPool.connect); OrgPool checks its status. */
  private poolFor(lookup: OrgLookup, role: 'app' | 'owner'): OrgPool {
    const record = this.directory.peek(lookup);
    // Before the list is loaded an organization is kept under the name it was asked by.
    const key = record ? record.id : `${lookup.by}:${lookup.value}`;
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.config.runtimesMax) this.forgetIdle();
      const at = record ? ({ by: 'id', value: record.id } as const) : lookup;
      entry = {
        slug: record?.slug ?? (lookup.by === 'slug' ? lookup.value : undefined),
        app: new OrgPool(at, 'session', 'app', this.deps),
        owner: new OrgPool(at, 'system', 'owner', this.deps),
        lastUsed: 0,
      };
      this.entries.set(key, entry);
    }
    entry.lastUsed = ++this.tick;
    return entry[role];
  }

  private counts(role: 'app' | 'owner'): PoolCounts {
    let total: PoolCounts = { total: 0, idle: 0, waiting: 0 };
    for (const entry of this.entries.values()) total = sum(total, counts(entry[role]));
    return total;
  }

  /** Drops the least recently used organizations whose pools are unused, down to 90% of runtimesMax. */
  private forgetIdle(): void {
    const idle = [...this.entries].filter(([, e]) => !e.app.inUse && !e.owner.inUse);
    idle.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const excess = this.entries.size - Math.floor(this.config.runtimesMax * 0.9);
    for (const [key, e] of idle.slice(0, Math.max(excess, 0))) {
      this.entries.delete(key);
      void e.app.end();
      void e.owner.end();
    }
  }

  /** createDb calls that found a bound client, and those that built one (every organization's, one cache). */
  boundStats(): { hits: number; misses: number; runtimes: number } {
    const { hits, misses } = this.runtime.boundStats();
    return { hits, misses, runtimes: this.entries.size };
  }

  /** Closes one idle connection of the least recently used organization that has one (the central pool last). */
  private reclaimOne(): boolean {
    let best: OrgPool | undefined;
    let bestUsed = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) {
      if (entry.lastUsed >= bestUsed) continue;
      const pool = [entry.app, entry.owner].find((p) => p.idleCount > 0 && p.waitingCount === 0);
      if (pool) {
        best = pool;
        bestUsed = entry.lastUsed;
      }
    }
    return best ? best.reclaimIdle() : reclaimIdle(this.centralPool);
  }

  stats(): OrgPoolStats {
    const organizations = [...this.entries.values()]
      .map((e) => ({ org: e.slug ?? '(resolving)', lastUsed: e.lastUsed, ...sum(counts(e.app), counts(e.owner)) }))
      .filter((o) => o.total > 0 || o.waiting > 0);
    return {
      cap: this.budget.cap,
      open: this.budget.open,
      peak: this.budget.peak,
      waiting: this.budget.waiting,
      reclaimed: this.budget.reclaimed,
      central: counts(this.centralPool),
      organizations,
    };
  }

  async close(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await this.runtime.close();
    await Promise.all(entries.flatMap((e) => [e.app.end(), e.owner.end()]));
    await this.centralPool.end();
  }
}

function slugLookup(org: string): OrgLookup {
  if (!ORG_SLUG.test(org)) {
    throw new OrgRoutingError(
      `{ org } must be an organization slug (^[a-z][a-z0-9-]{1,40}$), got ${JSON.stringify(org)}`,
      org,
    );
  }
  return { by: 'slug', value: org };
}
