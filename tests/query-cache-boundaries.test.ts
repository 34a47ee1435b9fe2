/**
 * Where the compiled-query cache stands aside (transactions, switched off),
 * its LRU bound, and the statement-level concerns a hit still goes through:
 * statement metrics, row-level security.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDbConfig } from '../src/config.ts';
import { queriesTotal } from '../src/observability/metrics.ts';
import { DbRuntime } from '../src/runtime.ts';
import { openUnrestrictedDb } from './support/fixtures.ts';
import { arrangeCacheFixtures, cacheHarness } from './support/query-cache.ts';
import type { Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const { runtime, delta, cachedDb } = cacheHarness();

let t: Tenancy;
let treatments: { id: string; name: string }[];
const tid = (i: number) => (treatments[i] as { id: string }).id;
beforeAll(async () => {
  ({ t, treatments } = await arrangeCacheFixtures(raw));
});

describe('where the cache stands aside', () => {
  const read = (db: ReturnType<typeof cachedDb>) => db.treatment.findMany({ where: { id: tid(1) } });

  it('inside $transaction (both forms) the plain path runs', async () => {
    const admin = t.sessions.admin;
    await read(cachedDb(admin));
    const interactive = await delta(() =>
      cachedDb(admin).$transaction((tx) => read(tx as unknown as ReturnType<typeof cachedDb>)),
    );
    const sequential = await delta(() =>
      cachedDb(admin).$transaction([cachedDb(admin).treatment.findMany({ where: { id: tid(2) } })]),
    );
    expect([interactive.hits, interactive.misses, sequential.hits, sequential.misses]).toEqual([0, 0, 0, 0]);
    expect(interactive.value).toHaveLength(1);
    expect(sequential.value[0]).toHaveLength(1);
  });

  it('fastPaths: false and queryCache: false leave the counters alone', async () => {
    const admin = t.sessions.admin;
    for (const db of [runtime.createDb(admin, { fastPaths: false }), runtime.createDb(admin, { queryCache: false })]) {
      const d = await delta(() => read(db));
      expect([d.hits, d.misses, d.uncacheable, d.size]).toEqual([0, 0, 0, 0]);
      expect(d.value).toHaveLength(1);
    }
  });

  it('ACME_DB_QUERY_CACHE=0 turns it off', async () => {
    const { queryCacheEnabled } = await import('../src/fast-path/query-cache/index.ts');
    expect(queryCacheEnabled(undefined, { ACME_DB_QUERY_CACHE: '0' })).toBe(false);
    expect(queryCacheEnabled(undefined, {})).toBe(true);
    expect(queryCacheEnabled(false, {})).toBe(false);
  });

  it('the LRU keeps at most its bound and evicts the oldest shape', async () => {
    const small = new DbRuntime(readDbConfig({ DATABASE_URL: process.env.DATABASE_URL }), { queryCacheSize: 2 });
    try {
      const db = small.createDb(t.sessions.admin);
      await db.treatment.findUnique({ where: { id: 'a' } });
      await db.treatment.findMany({ where: { id: 'a' } });
      await db.treatment.count({ where: { id: 'a' } });
      expect(small.poolStats().queryCache).toMatchObject({ size: 2, max: 2, misses: 3 });
      await db.treatment.count({ where: { id: 'b' } }); // newest: still there
      await db.treatment.findUnique({ where: { id: 'b' } }); // oldest: evicted
      expect(small.poolStats().queryCache).toMatchObject({ hits: 1, misses: 4 });
    } finally {
      await small.close();
    }
  });
});

describe('statement observability', () => {
  const counted = async () =>
    (await queriesTotal.get()).values.find((v) => v.labels.model === 'Clinic' && v.labels.operation === 'count')
      ?.value ?? 0;

  it('counts one statement for a miss (the probe is never sent, nor counted) and one for a hit', async () => {
    const db = cachedDb(t.sessions.admin);
    const c0 = await counted();
    const miss = await delta(() => db.clinic.count({ where: { code: { not: 'zz-obs' } } }));
    const c1 = await counted();
    const hit = await delta(() => db.clinic.count({ where: { code: { not: 'zz-obs-2' } } }));
    const c2 = await counted();
    expect([miss.misses, hit.hits]).toEqual([1, 1]);
    expect([c1 - c0, c2 - c1]).toEqual([1, 1]);
  });
});

describe('row-level security on', () => {
  const rls = new DbRuntime(readDbConfig(process.env));
  afterAll(() => rls.close());

  it('hits run under the session context and give the same rows', async () => {
    expect(rls.rls).toBe(true);
    for (const s of [t.sessions.staffA, t.sessions.staffB, t.sessions.staffAB, t.sessions.admin]) {
      for (const p of [t.patientA, t.patientB]) {
        const plain = await rls.createDb(s, { fastPaths: false }).patient.findUnique({ where: { id: p.id } });
        const before = rls.poolStats().queryCache.hits;
        const cached = await rls.createDb(s).patient.findUnique({ where: { id: p.id } });
        expect(cached).toEqual(plain);
        if (p === t.patientB) expect(rls.poolStats().queryCache.hits).toBe(before + 1);
      }
    }
  });
});
