import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The package's Prometheus metrics, in a registry of its own so that an app
 * with its own prom-client registry can merge it (`Registry.merge`) instead of
 * colliding on names. Labels are models, operations and outcomes: never a
 * value, an id or an e-mail.
 */
export const metricsRegistry = new Registry();

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const operationsTotal = new Counter({
  name: 'acme_db_operations_total',
  help: 'ORM operations by model, operation and policy outcome (allowed, filtered, denied, error)',
  labelNames: ['model', 'operation', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const operationSeconds = new Histogram({
  name: 'acme_db_operation_duration_seconds',
  help: 'ORM operation latency, all its SQL statements included',
  labelNames: ['model', 'operation'] as const,
  buckets: SECONDS,
  registers: [metricsRegistry],
});

export const deniedTotal = new Counter({
  name: 'acme_db_policy_denied_total',
  help: 'ORM operations the access rules denied, by model and operation',
  labelNames: ['model', 'operation'] as const,
  registers: [metricsRegistry],
});

export const queriesTotal = new Counter({
  name: 'acme_db_queries_total',
  help: 'SQL statements sent, by the model and ORM operation that issued them',
  labelNames: ['model', 'operation'] as const,
  registers: [metricsRegistry],
});

export const querySeconds = new Histogram({
  name: 'acme_db_query_duration_seconds',
  help: 'SQL statement latency, by the model and ORM operation that issued it',
  labelNames: ['model', 'operation'] as const,
  buckets: SECONDS,
  registers: [metricsRegistry],
});

const pools = new Map<pg.Pool, { pool: string; server: string }>();

/** host:port of a pool, never its user or password. */
function serverOf(pool: pg.Pool): string {
  // An organization's pool (src/orgs) opens its real pool lazily and names its organization instead.
  const { serverLabel } = pool as { serverLabel?: string };
  if (serverLabel !== undefined) return serverLabel;
  const options = (pool.options ?? {}) as pg.PoolConfig;
  try {
    if (options.connectionString) {
      const url = new URL(options.connectionString);
      return `${url.hostname}:${url.port || '5432'}`;
    }
  } catch {
    /* not a URL: fall through */
  }
  return `${options.host ?? 'localhost'}:${options.port ?? 5432}`;
}

/** Reports `pool`'s connections as acme_db_pool_connections{pool, server, state} until it is ended. */
export function observePool(name: string, pool: pg.Pool): void {
  pools.set(pool, { pool: name, server: serverOf(pool) });
}

new Gauge({
  name: 'acme_db_pool_connections',
  help: 'Connections per pool (app: sessions under RLS; owner: the system client) and server, by state',
  labelNames: ['pool', 'server', 'state'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const [pool, labels] of pools) {
      if (pool.ending) {
        pools.delete(pool);
        continue;
      }
      this.set({ ...labels, state: 'total' }, pool.totalCount);
      this.set({ ...labels, state: 'idle' }, pool.idleCount);
      this.set({ ...labels, state: 'waiting' }, pool.waitingCount);
    }
  },
});
