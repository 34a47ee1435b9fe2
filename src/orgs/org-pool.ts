import type pg from 'pg';
import type { DbConfig } from '../config.ts';
import { openPool } from '../pool.ts';
import type { ConnectionBudget } from './budget.ts';
import type { CredentialsResolver } from './credentials.ts';
import type { OrgDirectory, OrgLookup, OrgRecord } from './directory.ts';
import { OrgForbiddenError, OrgNotFoundError } from './errors.ts';

/** Who may use an organization in each status. */
export type Access = 'session' | 'system';

/** Refuses an organization a caller may not use; sessions need `active`, system work anything but `archived`. */
export function refuse(record: OrgRecord, access: Access): void {
  if (record.status === 'active') return;
  if (record.status === 'suspended' && access === 'system') return;
  throw new OrgForbiddenError(record.slug, record.status);
}

export interface OrgPoolDeps {
  directory: OrgDirectory;
  budget: ConnectionBudget;
  resolveCredentials: () => CredentialsResolver;
  pool: Omit<DbConfig, 'connectionString' | 'appConnectionString'>;
  onError: (err: Error) => void;
}

/**
 * One organization's pg pool as DbRuntime and Kysely see it. Opening it
 * costs nothing: the first `connect()` looks the organization up, refuses
 * it if it may not be used (before any connection to its database), asks
 * the credentials resolver for its URL and opens the real pool, whose
 * connections count against the global budget. Later connects check the
 * organization's status again from the in-memory directory (a map lookup),
 * so a suspension also stops clients handed out before it.
 */
export class OrgPool {
  private real: pg.Pool | undefined;
  /** Where `real` points: an organization moved to another server gets a new pool. */
  private at: { dbServer: string | null; dbName: string } | undefined;
  private opening: Promise<pg.Pool> | undefined;

  constructor(
    private readonly lookup: OrgLookup,
    /** 'app' pools of a row-level-security setup serve sessions only; the others also the system client. */
    private readonly access: Access,
    private readonly role: 'app' | 'owner',
    private readonly deps: OrgPoolDeps,
  ) {}

  connect(): Promise<pg.PoolClient> {
    const record = this.deps.directory.peek(this.lookup);
    if (record === null) return Promise.reject(new OrgNotFoundError(this.lookup.value));
    if (record && this.real) {
      try {
        refuse(record, this.access);
      } catch (err) {
        return Promise.reject(err);
      }
      if (record.dbServer === this.at?.dbServer && record.dbName === this.at?.dbName) return this.real.connect();
      // Moved (see README): the old pool drains and closes, the next one opens at the new place.
      const old = this.real;
      this.real = undefined;
      old.end().catch(() => {});
    }
    return this.open().then((pool) => pool.connect());
  }

  private open(): Promise<pg.Pool> {
    this.opening ??= this.openReal().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openReal(): Promise<pg.Pool> {
    const record = await this.deps.directory.resolve(this.lookup);
    refuse(record, this.access);
    if (this.real) return this.real;
    const credentials = await this.deps.resolveCredentials()(record);
    if (this.role === 'app' && !credentials.appUrl) {
      throw new Error(
        `the credentials resolver gave no appUrl for organization ${record.slug}: sessions connect as the application login (APP_DATABASE_URL's user), so a resolver set with setOrgCredentialsResolver must return one`,
      );
    }
    const config: DbConfig = {
      ...this.deps.pool,
      connectionString: credentials.ownerUrl,
      appConnectionString: this.role === 'app' ? credentials.appUrl : undefined,
    };
    const { budget } = this.deps;
    const pool = openPool(config, { role: this.role, onError: this.deps.onError, permits: budget, pipeline: true });
    pool.on('release', () => budget.connectionIdle());
    this.real = pool;
    this.at = { dbServer: record.dbServer, dbName: record.dbName };
    return pool;
  }

  /** What metrics call this pool's server (src/observability): the organization, never its URL. */
  get serverLabel(): string {
    return `org:${this.lookup.value}`;
  }

  /** Opening, holding or waiting for a connection: the router must not forget it now. */
  get inUse(): boolean {
    return this.opening !== undefined || this.totalCount > 0 || this.waitingCount > 0;
  }

  get totalCount(): number {
    return this.real?.totalCount ?? 0;
  }
  get idleCount(): number {
    return this.real?.idleCount ?? 0;
  }
  get waitingCount(): number {
    return this.real?.waitingCount ?? 0;
  }

  /** Closes one idle connection to make room elsewhere; false when it has none to spare. */
  reclaimIdle(): boolean {
    return reclaimIdle(this.real);
  }

  async end(): Promise<void> {
    const pool = this.real;
    this.real = undefined;
    if (pool) await pool.end();
  }
}

/**
 * Takes an idle connection out of `pool` and closes it. pg-pool has no call
 * for that; checking one out (an idle one is handed over first, and nobody
 * waits) and releasing it as broken removes exactly one.
 */
export function reclaimIdle(pool: pg.Pool | undefined): boolean {
  if (!pool || pool.idleCount === 0 || pool.waitingCount > 0) return false;
  pool.connect().then(
    (client) => client.release(true),
    () => {},
  );
  return true;
}
