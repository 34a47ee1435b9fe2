import type pg from 'pg';
import { parseLsn } from '../replicas/lsn.ts';
import type { ReplicaServer, ReplicaSet } from '../replicas/replica-set.ts';
import type { Route } from '../replicas/route-plugin.ts';
import { lastOf, send, setAuthSql } from './send.ts';

/** What the standby said about itself just before it ran a statement. */
export interface ReplicaProbe {
  inRecovery: boolean;
  /** `pg_last_wal_replay_lsn()`: the statement saw every commit up to here. */
  replayLsn: bigint | null;
}

const PROBE = 'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay';
/** After a commit, on the same connection: at or past the commit record, whatever synchronous_commit says. */
const WRITE_LSN = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

/**
 * One role's pools on the standbys of a {@link ReplicaSet}, opened on a
 * server's first read; a new one after the server went down (its old
 * connections are dead).
 */
export class ReplicaPools {
  private readonly onServer = new Map<ReplicaServer, { pool: pg.Pool; generation: number }>();
  private ended = false;

  constructor(
    readonly set: ReplicaSet,
    private readonly open: (serverUrl: string, onError: (err: Error) => void) => pg.Pool,
  ) {}

  pool(server: ReplicaServer): pg.Pool {
    if (this.ended) throw new Error('Cannot use a pool after calling end on the pool');
    let entry = this.onServer.get(server);
    if (entry && entry.generation !== server.generation) {
      entry.pool.end().catch(() => {});
      entry = undefined;
    }
    if (!entry) {
      const generation = server.generation;
      // An idle connection that breaks usually means the server went away: one warning, not one per connection.
      const onError = (err: Error) => this.set.fault(server, 'down', err, generation);
      entry = { pool: this.open(server.url, onError), generation };
      this.onServer.set(server, entry);
    }
    return entry.pool;
  }

  counts(server: ReplicaServer): { total: number; idle: number; waiting: number } {
    const pool = this.onServer.get(server)?.pool;
    return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: pool?.waitingCount ?? 0 };
  }

  async end(): Promise<void> {
    this.ended = true;
    const pools = [...this.onServer.values()].map((e) => e.pool);
    this.onServer.clear();
    await Promise.all(pools.map((p) => p.end()));
  }
}

/**
 * A read on a standby, in a read-only transaction of its own, pipelined in
 * one round trip:
 *
 *   BEGIN READ ONLY; [set_config('acme.auth', …, true);] SELECT <probe>  |  statement  |  COMMIT
 *
 * - read-only: a write that slipped past the router fails with 25006 instead
 *   of landing on a standby that was promoted, and is re-run on the primary;
 * - the session context is transaction-local as on the primary;
 * - the probe, read in the statement's transaction, says exactly how fresh
 *   its snapshot is at least, and that the server is still a standby.
 */
export async function readOnReplica(
  client: pg.ClientBase,
  query: Parameters<typeof send>[1],
  auth: string | undefined,
  prepared: boolean,
): Promise<{ result: pg.QueryResult; probe: ReplicaProbe }> {
  const begin = client.query(`BEGIN READ ONLY; ${auth === undefined ? '' : `${setAuthSql(auth)}; `}${PROBE}`);
  const statement = send(client, query, prepared);
  const commit = client.query('COMMIT');
  const [begun, result, committed] = await Promise.allSettled([begin, statement, commit]);
  // The first failure is the cause; the later ones only say the transaction was aborted.
  for (const settled of [begun, result, committed]) if (settled.status === 'rejected') throw settled.reason;
  const row = lastOf((begun as PromiseFulfilledResult<pg.QueryResult | pg.QueryResult[]>).value)?.rows[0];
  return {
    result: (result as PromiseFulfilledResult<pg.QueryResult>).value,
    probe: {
      inRecovery: row?.standby === true,
      replayLsn: typeof row?.replay === 'string' ? parseLsn(row.replay) : null,
    },
  };
}

/**
 * Runs a statement that may have committed a write (pipelined with the WAL
 * position after it) and raises the route's LSN past that commit, so the
 * route's next reads wait for a replica that has it.
 */
export async function withWriteLsn<T>(
  client: pg.ClientBase,
  statement: Promise<T>,
  set: ReplicaSet,
  route: Route | undefined,
  primary: () => Promise<string | undefined>,
): Promise<T> {
  const lsn = client.query(WRITE_LSN);
  lsn.catch(() => {});
  const result = await statement;
  let text: string | undefined;
  try {
    text = (await lsn).rows[0]?.lsn;
  } catch {
    // The connection died after the commit: any later position on the primary is past it too.
    text = await primary().catch(() => undefined);
  }
  // Unknown (the primary is unreachable right now): this route reads from the primary from now on.
  const written = text ? parseLsn(text) : 0xffffffffffffffffn;
  if (route) set.lsns.raise(route.key, written);
  else set.lsns.raiseFloor(written);
  return result;
}

/** The primary's WAL position on a connection of its own (after the connection that wrote died). */
export const primaryWriteLsn = (pool: { connect(): Promise<pg.PoolClient> }) => async () => {
  const client = await pool.connect();
  try {
    return (await client.query(WRITE_LSN)).rows[0]?.lsn as string | undefined;
  } finally {
    client.release();
  }
};
