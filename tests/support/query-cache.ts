import { afterAll } from 'vitest';
import { readDbConfig } from '../../src/config.ts';
import { DbRuntime } from '../../src/runtime.ts';
import { dec, type UnrestrictedDb, uid } from './fixtures.ts';
import { recordSentSql } from './sent-sql.ts';
import { arrangeTenancy } from './tenancy.ts';

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

/** Four treatments (Decimal prices, nulls in turn), three of them linked to clinic A, and the tenancy. */
export async function arrangeCacheFixtures(raw: UnrestrictedDb) {
  const t = await arrangeTenancy(raw);
  const treatments: { id: string; name: string }[] = [];
  for (const [i, price] of ['10.00', '20.50', '99.99', '120.00'].entries()) {
    treatments.push(
      await raw.treatment.create({
        data: {
          name: uid(`QC Treatment ${i}`),
          price: dec(price),
          description: i % 2 ? null : `about ${i}`,
          maintenanceIntervalMonths: i % 2 ? i : null,
        },
      }),
    );
  }
  for (const tr of treatments.slice(0, 3)) {
    await raw.treatmentsByClinic.create({
      data: { clinicId: t.clinicA.id, treatmentId: tr.id, priceOverride: dec('5.25') },
    });
  }
  return { t, treatments };
}
