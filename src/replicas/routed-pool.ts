import type pg from 'pg';
import { parseLsn } from './lsn.ts';
import type { ReplicaClient } from './replica-client.ts';
import { NotInRecoveryError, replicaFault } from './replica-faults.ts';
import type { ReplicaServer, ReplicaSet, RoutedStatement } from './replica-set.ts';
import { type Route, routeContext } from './route-plugin.ts';
import { statementKind } from './statement-kind.ts';

/** After a commit, on the same connection: at or past the commit record, whatever synchronous_commit says. */
const WRITE_LSN = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
const COMMIT = /^\s*(commit|end)\b/i;
const MISS = Symbol('miss');

/**
 * A pg-Pool look-alike for Kysely's PostgresDialect (connect/end) that puts
 * each statement on the right server. Kysely takes a connection per
 * statement outside a transaction and one connection for a whole
 * transaction, so a connection handed out here binds to a server lazily, on
 * its first statement: `BEGIN` and anything that writes go to the primary
 * (and stay there until released); a read goes to a replica that is up, has
 * replayed the route's last write and is within the staleness cap, else to
 * the primary. A replica read that fails because of the replica is re-run
 * once on the primary.
 */
export class RoutedPool {
  /** Kysely reads `options` (for cancel connections); it has no `Client`, so cancels go through a pooled connection. */
  readonly options = {};
  private readonly onReplicas = new Map<ReplicaServer, { pool: pg.Pool; generation: number }>();
  private ended = false;

  constructor(
    readonly primary: pg.Pool,
    readonly set: ReplicaSet,
    private readonly openReplicaPool: (serverUrl: string, onError: (err: Error) => void) => pg.Pool,
  ) {}

  connect(): Promise<RoutedConnection> {
    return Promise.resolve(new RoutedConnection(this));
  }

  /** This role's pool on `server`; a new one after the server went down (its old connections are dead). */
  replicaPool(server: ReplicaServer): pg.Pool {
    if (this.ended) throw new Error('Cannot use a pool after calling end on the pool');
    let entry = this.onReplicas.get(server);
    if (entry && entry.generation !== server.generation) {
      entry.pool.end().catch(() => {});
      entry = undefined;
    }
    if (!entry) {
      const generation = server.generation;
      // An idle connection that breaks usually means the server went away: one warning, not one per connection.
      const onError = (err: Error) => this.set.fault(server, 'down', err, generation);
      entry = { pool: this.openReplicaPool(server.url, onError), generation };
      this.onReplicas.set(server, entry);
    }
    return entry.pool;
  }

  /** pg's counters for this role's pool on `server` (zeros before its first read). */
  counts(server?: ReplicaServer): { total: number; idle: number; waiting: number } {
    const pool = server ? this.onReplicas.get(server)?.pool : this.primary;
    return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
  }

  async end(): Promise<void> {
    this.ended = true;
    const pools = [this.primary, ...[...this.onReplicas.values()].map((e) => e.pool)];
    this.onReplicas.clear();
    await Promise.all(pools.map((p) => p.end()));
  }
}

type Client = pg.PoolClient & Partial<Pick<ReplicaClient, 'lastProbe'>>;

/** One lease as Kysely sees it; which server it is on is decided per statement. */
export class RoutedConnection {
  private client: Client | undefined;
  /** The replica the current client is on (undefined with a client: the primary), and its generation then. */
  private server: ReplicaServer | undefined;
  private generation = 0;
  private inTransaction = false;
  private wrote = false;
  /** The route of the last statement run for a client; a COMMIT sent by ZenStack or Kysely carries none. */
  private route: Route | undefined;

  constructor(private readonly pool: RoutedPool) {}

  // biome-ignore lint/suspicious/noExplicitAny: the pg client's query overloads, passed through.
  async query(sql: any, params?: any): Promise<any> {
    const route = routeContext.getStore();
    if (route) this.route = route;
    const text: unknown = typeof sql === 'string' ? sql : sql?.text;
    const kind = typeof text === 'string' ? statementKind(text) : 'write';
    if (this.inTransaction) {
      const client = this.client as Client;
      if (kind === 'end') {
        this.inTransaction = false;
        return this.wrote && COMMIT.test(text as string)
          ? this.withWriteLsn(client.query(sql, params))
          : client.query(sql, params);
      }
      if (kind !== 'read') this.wrote = true;
      return client.query(sql, params);
    }
    if (kind === 'read') return this.read(sql, params);
    const client = await this.onPrimary();
    if (kind === 'begin') {
      this.inTransaction = true;
      this.wrote = false;
      this.pool.set.served(this.event('transaction', 'transaction'));
      return client.query(sql, params);
    }
    if (kind === 'end') return client.query(sql, params);
    this.pool.set.served(this.event('write', 'write'));
    return this.withWriteLsn(client.query(sql, params));
  }

  release(destroy?: boolean): void {
    this.drop(destroy === true);
  }

  private async read(sql: unknown, params: unknown): Promise<unknown> {
    const { set } = this.pool;
    const route = this.route;
    const minLsn = route ? route.lsns.get(route.key) : set.lsns.get('');
    let reason: RoutedStatement['reason'] = 'requested';
    if (!route?.primary) {
      const server = set.pick(minLsn);
      reason = 'no-replica';
      if (server) {
        const answer = await this.onReplica(server, sql, params, minLsn);
        if (answer !== MISS) return answer;
        reason = this.server === server ? 'not-caught-up' : 'replica-failed';
      }
    }
    const client = await this.onPrimary();
    const result = await client.query(sql as string, params as unknown[]);
    set.served(this.event('read', reason));
    return result;
  }

  /** The read on `server`, or MISS when it must be re-run on the primary. */
  private async onReplica(server: ReplicaServer, sql: unknown, params: unknown, minLsn: bigint) {
    const { set } = this.pool;
    try {
      if (!this.client || this.server !== server) {
        this.drop(false);
        this.generation = server.generation;
        this.client = (await this.pool.replicaPool(server).connect()) as Client;
        this.server = server;
      }
      const result = await this.client.query(sql as string, params as unknown[]);
      const probe = this.client.lastProbe;
      if (!probe?.inRecovery) throw new NotInRecoveryError(`${server.name} is not in recovery`);
      set.noteReplay(server, probe.replayLsn);
      // Exact, per statement: the snapshot it ran on is at least this fresh.
      if (!set.fresh(probe.replayLsn, minLsn)) return MISS;
      set.served(
        {
          server: server.name,
          replica: true,
          kind: 'read',
          reason: 'replica',
          inRecovery: probe.inRecovery,
          ...(probe.replayLsn === null ? {} : { replayLsn: probe.replayLsn.toString(16) }),
        },
        server,
      );
      return result;
    } catch (err) {
      const fault = replicaFault(err);
      if (!fault) throw err;
      set.fault(server, fault, err, this.generation);
      this.drop(true);
      return MISS;
    }
  }

  private async onPrimary(): Promise<Client> {
    if (this.client && !this.server) return this.client;
    this.drop(false);
    this.client = (await this.pool.primary.connect()) as Client;
    return this.client;
  }

  /** Runs a statement that may have committed a write and raises its route's LSN past that commit. */
  private async withWriteLsn<T>(statement: Promise<T>): Promise<T> {
    const client = this.client as Client;
    const lsn = client.query(WRITE_LSN); // pipelined behind the statement where the client pipelines
    lsn.catch(() => {});
    const result = await statement;
    let text: string | undefined;
    try {
      text = (await lsn).rows[0]?.lsn;
    } catch {
      // The connection died after the commit: any later position on the primary is past it too.
      text = await this.pool.primary
        .query(WRITE_LSN)
        .then((r) => r.rows[0]?.lsn as string)
        .catch(() => undefined);
    }
    const { lsns } = this.pool.set;
    // Unknown (the primary is unreachable right now): this route reads from the primary from now on.
    const written = text ? parseLsn(text) : 0xffffffffffffffffn;
    if (this.route) lsns.raise(this.route.key, written);
    else lsns.raiseFloor(written);
    return result;
  }

  private event(kind: RoutedStatement['kind'], reason: RoutedStatement['reason']): RoutedStatement {
    return { server: 'primary', replica: false, kind, reason };
  }

  private drop(destroy: boolean): void {
    const client = this.client;
    this.client = undefined;
    this.server = undefined;
    this.inTransaction = false;
    client?.release(destroy ? true : undefined);
  }
}
