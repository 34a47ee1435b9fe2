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
import { type CentralClient, OrgDirectory, type OrgLookup } from './directory.ts';
import { OrgForbiddenError, OrgNotFoundError, OrgRoutingError } from './errors.ts';
import { type Access, OrgPool, reclaimIdle, refuse } from './org-pool.ts';

interface Entry {
  slug: string | undefined;
  runtime: DbRuntime;
  pools: OrgPool[];
  lastUsed: number;
}

export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
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

/** Bound session clients kept per organization (1,000 in single-database mode): memory grows with organizations. */
const BOUND_PER_ORG = 100;
const PLACEHOLDER_URL = 'postgresql://organization.invalid/';

const counts = (p: { totalCount: number; idleCount: number; waitingCount: number }): PoolCounts => ({
  total: p.totalCount,
  idle: p.idleCount,
  waiting: p.waitingCount,
});

/**
 * Organization mode: one DbRuntime (plugins, bound clients, pools) per
 * organization, created on first use and looked up by the session's
 * organization. All of them share one connection budget; idle connections
 * of the least recently used organizations are closed when another needs
 * room, and idle organizations beyond `runtimesMax` are forgotten.
 */
export class OrgRouter {
  readonly budget: ConnectionBudget;
  readonly directory: OrgDirectory;
  readonly central: CentralClient;
  private readonly centralPool: pg.Pool;
  private readonly entries = new Map<string, Entry>();
  private resolver: CredentialsResolver;
  private tick = 0;
  /** Bound-client counters of runtimes already forgotten. */
  private retired = { hits: 0, misses: 0 };

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
    const entry = this.entryFor(lookup, 'session', session);
    if (session?.orgId && session.orgSlug && entry.slug !== undefined && entry.slug !== session.orgSlug) {
      throw new InvalidSessionError([`orgId and orgSlug name different organizations`]);
    }
    return entry.runtime.createDb(session, options);
  }

  createSystemDb(reason: string, options: DbOptions = {}): EnhancedClient {
    if (!options.org) {
      throw new OrgRoutingError(
        'Organization mode: createSystemDb(reason, { org: slug }) must name the organization.',
        undefined,
      );
    }
    return this.entryFor(slugLookup(options.org), 'system').runtime.createSystemDb(reason, options);
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

  private entryFor(lookup: OrgLookup, access: Access, session?: SessionInput | null): Entry {
    const record = this.directory.peek(lookup);
    if (!record && session && lookup.by === 'slug' && !ORG_SLUG.test(lookup.value)) parseSessionUser(session); // the session's own error
    if (record === null) throw new OrgNotFoundError(lookup.value);
    if (record) refuse(record, access);
    // Before the list is loaded an organization is kept under the name it was asked by.
    const key = record ? record.id : `${lookup.by}:${lookup.value}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const slug = record?.slug ?? (lookup.by === 'slug' ? lookup.value : undefined);
      entry = this.open(key, record ? { by: 'id', value: record.id } : lookup, slug);
    }
    entry.lastUsed = ++this.tick;
    return entry;
  }

  private open(key: string, lookup: OrgLookup, slug: string | undefined): Entry {
    if (this.entries.size >= this.config.runtimesMax) this.forgetIdle();
    const pools: OrgPool[] = [];
    const rls = this.config.appLogin !== undefined;
    const deps = {
      directory: this.directory,
      budget: this.budget,
      resolveCredentials: () => this.resolver,
      pool: this.config.pool,
      onError: (err: Error) => console.warn(`[@acme/db] idle connection failed and was dropped: ${err.message}`),
    };
    const runtime = new DbRuntime(
      {
        ...this.config.pool,
        connectionString: PLACEHOLDER_URL,
        appConnectionString: rls ? PLACEHOLDER_URL : undefined,
      },
      {
        boundClients: BOUND_PER_ORG,
        openPool: (_config, role) => {
          const pool = new OrgPool(lookup, role === 'app' && rls ? 'session' : 'system', role, deps);
          pools.push(pool);
          return pool as unknown as pg.Pool;
        },
      },
    );
    const entry: Entry = { slug, runtime, pools, lastUsed: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  /** Drops the least recently used organizations that hold no connection, down to 90% of runtimesMax. */
  private forgetIdle(): void {
    const idle = [...this.entries].filter(([, e]) => e.pools.every((p) => p.totalCount === 0));
    idle.sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    const excess = this.entries.size - Math.floor(this.config.runtimesMax * 0.9);
    for (const [key, e] of idle.slice(0, Math.max(excess, 0))) {
      const b = e.runtime.boundStats();
      this.retired.hits += b.hits;
      this.retired.misses += b.misses;
      this.entries.delete(key);
    }
  }

  /** createDb calls that found a bound client, and those that built one, over every organization. */
  boundStats(): { hits: number; misses: number; runtimes: number } {
    let { hits, misses } = this.retired;
    for (const e of this.entries.values()) {
      const b = e.runtime.boundStats();
      hits += b.hits;
      misses += b.misses;
    }
    return { hits, misses, runtimes: this.entries.size };
  }

  /** Closes one idle connection of the least recently used organization that has one (the central pool last). */
  private reclaimOne(): boolean {
    let best: OrgPool | undefined;
    let bestUsed = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) {
      if (entry.lastUsed >= bestUsed) continue;
      const pool = entry.pools.find((p) => p.idleCount > 0 && p.waitingCount === 0);
      if (pool) {
        best = pool;
        bestUsed = entry.lastUsed;
      }
    }
    return best ? best.reclaimIdle() : reclaimIdle(this.centralPool);
  }

  stats(): OrgPoolStats {
    const organizations = [...this.entries.values()]
      .map((e) => {
        const c = e.pools.map(counts).reduce((a, b) => ({
          total: a.total + b.total,
          idle: a.idle + b.idle,
          waiting: a.waiting + b.waiting,
        }));
        return { org: e.slug ?? '(resolving)', lastUsed: e.lastUsed, ...c };
      })
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
    await Promise.all(entries.map((e) => e.runtime.close()));
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
