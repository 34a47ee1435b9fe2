import type pg from 'pg';
import type { ReplicaPools } from './replica-pools.ts';

/** Where a driver's connections come from: a pg.Pool, or an organization's pool (src/orgs/org-pool.ts). */
export interface ConnectionSource {
  connect(): Promise<pg.PoolClient>;
  end(): Promise<void>;
}

export interface DriverOptions {
  primary: ConnectionSource;
  /** Send the operation scope's session (`acme.auth`) with each statement: the app role under row-level security. */
  sessionContext: boolean;
  /**
   * The pool's connections pipeline (pg's `pipeline: true`, src/pool.ts): `BEGIN; set_config`, the statement
   * and COMMIT go in one round trip. Without it they go one after the other.
   */
  pipelined: boolean;
  /** Defer BEGIN to the transaction's first statement, and drop it for a statement that is the whole transaction. */
  lazyBegin: boolean;
  /**
   * Cache the session context per connection where the connection is one backend (src/driver/session-cache.ts):
   * a statement of the session the backend already holds goes alone. Off: every context is transaction-local.
   */
  contextCache?: boolean;
  /**
   * Named statements: `direct` (the default) on connections that are one backend for life (not behind a
   * pooler, session-cache.ts), `true` everywhere (ACME_DB_PREPARED_STATEMENTS=1: PgBouncer >= 1.21), `false` never.
   */
  prepared: boolean | 'direct';
  /** Reads outside a transaction may go to these standbys (DATABASE_REPLICA_URLS). */
  replicas?: ReplicaPools;
  /** DB_SLOW_QUERY_MS; 0: off. */
  slowMs: number;
}
