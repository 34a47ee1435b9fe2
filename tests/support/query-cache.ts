import { afterAll } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { DbRuntime } from '../../src/runtime.ts';
import { recordSentSql } from './sent-sql.ts';

export type Session = Parameters<DbRuntime['createDb']>[0];

/**
 * For the query-cache suites: a runtime without row-level security (PostgreSQL's policies would hide a cache
 * that dropped a rule), its plain and cached clients, the counters, and the SQL with parameters the
 * application's pg clients send (the database stays real).
 */
export function cacheHarness() {
  const sent = recordSentSql((text, values) => ({ text, values }));
  const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: process.env.DATABASE_URL }));
  afterAll(() => runtime.close());
  const stats = () => runtime.poolStats().queryCache;
  /** Counter changes over `fn`. */
  async function delta<T>(fn: () => Promise<T>) {
    const before = stats();
    const value = await fn();
    const after = stats();
    return {
      value,
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      uncacheable: after.uncacheable - before.uncacheable,
      size: after.size - before.size,
    };
  }
  return {
    runtime,
    sent,
    stats,
    delta,
    plainDb: (s: Session) => runtime.createDb(s, { fastPaths: false }),
    cachedDb: (s: Session) => runtime.createDb(s),
  };
}
