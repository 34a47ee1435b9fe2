/**
 * The compiled-query cache (src/fast-path/query-cache) against the plain
 * ZenStack path on the same database: every hit returns exactly what the
 * plain path returns and binds the new values; shapes and sessions whose SQL
 * differs never share an entry. Where it stands aside: query-cache-boundaries.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dec, openUnrestrictedDb } from './support/fixtures.ts';
import { arrangeCacheFixtures, cacheHarness, type Session } from './support/query-cache.ts';
import type { Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const { sent, stats, delta, plainDb, cachedDb } = cacheHarness();

let t: Tenancy;
let treatments: { id: string; name: string }[];
const tid = (i: number) => (treatments[i] as { id: string }).id;
beforeAll(async () => {
  ({ t, treatments } = await arrangeCacheFixtures(raw));
});

describe('hits return exactly the plain path result', () => {
  it('findUnique by id: one miss, then hits with the new id bound', async () => {
    const admin = t.sessions.admin;
    const first = await delta(() => cachedDb(admin).treatment.findUnique({ where: { id: tid(0) } }));
    expect(first).toMatchObject({ misses: 1, hits: 0 });
    expect(first.value).toEqual(await plainDb(admin).treatment.findUnique({ where: { id: tid(0) } }));
    for (const tr of [...treatments, { id: 'missing' }]) {
      sent.length = 0;
      const hit = await delta(() => cachedDb(admin).treatment.findUnique({ where: { id: tr.id } }));
      expect(hit).toMatchObject({ hits: 1, misses: 0 });
      expect(sent.some((s) => s.values.includes(tr.id))).toBe(true);
      expect(hit.value).toEqual(await plainDb(admin).treatment.findUnique({ where: { id: tr.id } }));
    }
    const miss = await cachedDb(admin).treatment.findUnique({ where: { id: 'missing' } });
    expect(miss).toBeNull();
  });

  /** Each call twice on the cached client (a miss or hit, then a hit) and once on the plain one: all equal. */
  async function agree(session: Session, run: (db: ReturnType<typeof cachedDb>) => Promise<unknown>) {
    const expected = await run(plainDb(session));
    const first = await run(cachedDb(session));
    const again = await delta(() => run(cachedDb(session)));
    expect(first).toEqual(expected);
    expect(again.value).toEqual(expected);
    expect(again.hits).toBe(1);
    return expected;
  }

  it('findMany with where, orderBy, take and skip: Decimal, Date, nulls', async () => {
    const user = t.sessions.staffA;
    for (const price of ['10', '20.5', '99.99', '1000']) {
      for (const take of [1, 2, 3]) {
        const rows = (await agree(user, (db) =>
          db.treatment.findMany({
            where: {
              price: { lte: (take === 2 ? price : dec(price)) as never },
              id: { in: treatments.map((x) => x.id) },
            },
            orderBy: [{ price: 'desc' }, { id: 'asc' }],
            take,
            skip: take > 2 ? 1 : undefined,
          }),
        )) as { price: unknown; createdAt: unknown; description: unknown }[];
        if (price === '1000') expect(rows.length).toBe(Math.min(take, 4 - (take > 2 ? 1 : 0)));
        for (const row of rows) {
          expect(row.price).toBeInstanceOf(dec('1').constructor);
          expect(row.createdAt).toBeInstanceOf(Date);
        }
      }
    }
    const byInterval = await agree(user, (db) =>
      db.treatment.findMany({
        where: { maintenanceIntervalMonths: { gt: 0 }, id: { in: treatments.map((x) => x.id) } },
      }),
    );
    expect(byInterval).toHaveLength(2);
  });

  it('count, count with select, findFirst, exists and a nested include', async () => {
    const admin = t.sessions.admin;
    for (const tr of treatments) {
      await agree(admin, (db) => db.treatment.count({ where: { id: tr.id } }));
      await agree(admin, (db) =>
        db.treatment.count({ where: { id: { not: tr.id } }, select: { _all: true, description: true } }),
      );
      await agree(admin, (db) =>
        db.treatment.findFirst({ where: { name: tr.name }, select: { id: true, price: true } }),
      );
      await agree(admin, (db) => db.treatment.exists({ where: { id: tr.id } }));
    }
    for (const clinic of [t.clinicA, t.clinicB]) {
      const found = (await agree(admin, (db) =>
        db.clinic.findUnique({
          where: { id: clinic.id },
          include: { treatmentsByClinic: { include: { treatment: true }, orderBy: { id: 'asc' } } },
        }),
      )) as { treatmentsByClinic: { priceOverride: unknown; treatment: { price: unknown } }[] };
      expect(found.treatmentsByClinic).toHaveLength(clinic === t.clinicA ? 3 : 0);
      for (const link of found.treatmentsByClinic) expect(String(link.treatment.price)).toMatch(/^\d+(\.\d+)?$/);
    }
    await agree(admin, (db) =>
      db.clinic.findUnique({ where: { id: 'nobody' }, include: { treatmentsByClinic: true } }),
    );
  });
});

describe('paged findMany (PagedFindManyPlugin, outside the cache)', () => {
  it('each page statement is a one-statement read of its own: pages with relations agree on hits', async () => {
    const admin = t.sessions.admin;
    const page = (db: ReturnType<typeof cachedDb>, take: number, name: string) =>
      db.clinic.findMany({
        where: { name: { not: name } },
        take,
        orderBy: [{ name: 'desc' }, { id: 'asc' }],
        include: { treatmentsByClinic: { orderBy: { id: 'asc' }, include: { treatment: true } } },
      });
    for (const [take, name] of [
      [1, 'a'],
      [1, 'b'],
      [2, 'c'],
      [2, 'd'],
      [1, 'e'],
    ] as const) {
      expect(await page(cachedDb(admin), take, name)).toEqual(await page(plainDb(admin), take, name));
    }
    const again = await delta(() => page(cachedDb(admin), 2, 'f'));
    expect(again.hits).toBe(2); // the ids, then the rows with their relations
  });
});

describe('one entry per shape', () => {
  it('null-ness, array length, take, orderBy direction, select and mode each make their own entry', async () => {
    const admin = t.sessions.admin;
    const ids = treatments.map((x) => x.id);
    const variants: ((db: ReturnType<typeof cachedDb>) => Promise<unknown>)[] = [
      (db) => db.treatment.findMany({ where: { description: null }, orderBy: { id: 'asc' } }),
      (db) => db.treatment.findMany({ where: { description: 'about 0' }, orderBy: { id: 'asc' } }),
      (db) => db.treatment.findMany({ where: { id: { in: ids.slice(0, 1) } }, orderBy: { id: 'asc' } }),
      (db) => db.treatment.findMany({ where: { id: { in: ids.slice(0, 3) } }, orderBy: { id: 'asc' } }),
      (db) => db.treatment.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' }, take: 2 }),
      (db) => db.treatment.findMany({ where: { id: { in: ids } }, orderBy: { id: 'desc' } }),
      (db) => db.treatment.findMany({ where: { id: { in: ids } }, orderBy: { id: 'desc' }, select: { id: true } }),
      (db) => db.treatment.findMany({ where: { id: { in: ids } }, orderBy: { id: 'desc' }, take: -2 }),
      (db) => db.treatment.findMany({ where: { description: { equals: 'ABOUT 0', mode: 'insensitive' } } }),
      (db) => db.treatment.findMany({ where: { description: { equals: 'ABOUT 0', mode: 'default' } } }),
    ];
    const sizes: number[] = [];
    for (const run of variants) {
      const expected = await run(plainDb(admin));
      const first = await delta(() => run(cachedDb(admin)));
      expect(first.misses).toBe(1); // never an earlier variant's entry
      expect(first.value).toEqual(expected);
      expect(await run(cachedDb(admin))).toEqual(expected);
      sizes.push(stats().size);
    }
    expect(new Set(sizes).size).toBe(variants.length);
  });

  it('startsWith, endsWith and contains bind their escaped LIKE pattern: hits with %, _ and \\ in the value', async () => {
    const admin = t.sessions.admin;
    const name = (treatments[1] as { name: string }).name;
    // The first value of each operator is its miss; every later one must hit and agree with the plain path.
    const values = [name.slice(0, 6), name.slice(3, 9), 'QC%', '%', 'QC_', '_', 'a\\b', name, 'no such name'];
    for (const op of ['startsWith', 'endsWith', 'contains'] as const) {
      const run = (db: ReturnType<typeof cachedDb>, v: string) =>
        db.treatment.findMany({ where: { name: { [op]: v } }, orderBy: { id: 'asc' }, select: { id: true } });
      for (const [i, v] of values.entries()) {
        const cached = await delta(() => run(cachedDb(admin), v));
        expect(cached.value, `${op} ${v}`).toEqual(await run(plainDb(admin), v));
        if (i > 0) expect(cached, `${op} ${v}`).toMatchObject({ hits: 1, misses: 0 });
      }
      // A wildcard in the value matches itself only: no treatment name holds '%', so no rows.
      expect(await run(cachedDb(admin), '%')).toEqual([]);
      expect(await run(cachedDb(admin), name)).toHaveLength(1);
    }
    const insensitive = (db: ReturnType<typeof cachedDb>, v: string) =>
      db.treatment.findMany({ where: { name: { startsWith: v, mode: 'insensitive' } }, select: { id: true } });
    await insensitive(cachedDb(admin), 'qc t');
    const hit = await delta(() => insensitive(cachedDb(admin), name.toLowerCase()));
    expect(hit).toMatchObject({ hits: 1 });
    expect(hit.value).toEqual(await insensitive(plainDb(admin), name.toLowerCase()));
    expect(hit.value).toHaveLength(1);
  });

  it('a parameter derived from a value (a negative take) is marked uncacheable and keeps the plain result', async () => {
    const admin = t.sessions.admin;
    const run = (db: ReturnType<typeof cachedDb>, take: number) =>
      db.treatment.findMany({ where: { price: { gt: dec('1') as never } }, orderBy: { id: 'asc' }, take });
    await run(cachedDb(admin), -2);
    const second = await delta(() => run(cachedDb(admin), -3));
    expect(second).toMatchObject({ hits: 0, misses: 0, uncacheable: 1 });
    expect(second.value).toEqual(await run(plainDb(admin), -3));
  });

  it('DEBUG=acme:fast-path names the reason, never a value', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    const saved = process.env.DEBUG;
    process.env.DEBUG = 'acme:fast-path';
    try {
      await cachedDb(t.sessions.admin).treatment.findMany({ where: { name: { not: 'secret-value' } }, take: -1 });
      const lines = debug.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('query cache'));
      expect(lines).toContain(
        '[acme:fast-path] plain path for findMany on Treatment: query cache: a parameter derived from a value',
      );
      expect(lines.join('\n')).not.toContain('secret-value');
    } finally {
      process.env.DEBUG = saved;
      debug.mockRestore();
    }
  });
});

describe('sessions never see each other’s rows through the cache', () => {
  it('a filter value equal to a session value stays the filter, not the rule', async () => {
    // staffA's rule carries clinic A's id; so does the filter on the first call.
    const staffA = t.sessions.staffA;
    const run = (db: ReturnType<typeof cachedDb>, clinicId: string) =>
      db.patient.findMany({ where: { clinicId }, orderBy: { id: 'asc' } });
    const own = await run(cachedDb(staffA), t.clinicA.id);
    expect(own.map((p) => p.id)).toContain(t.patientA.id);
    const other = await delta(() => run(cachedDb(staffA), t.clinicB.id));
    expect(other.hits).toBe(1);
    expect(other.value).toEqual([]);
    expect(other.value).toEqual(await run(plainDb(staffA), t.clinicB.id));
  });

  it('a filter value equal to a rule constant (an enum name) is pinned, never bound', async () => {
    const admin = t.sessions.admin;
    const run = (db: ReturnType<typeof cachedDb>, role: 'STAFF' | 'VIEWER') =>
      db.clinicMembership.findMany({ where: { role, clinicId: t.clinicA.id }, orderBy: { id: 'asc' } });
    for (const role of ['STAFF', 'VIEWER', 'STAFF'] as const)
      expect(await run(cachedDb(admin), role)).toEqual(await run(plainDb(admin), role));
  });

  it('two sessions of one template (USER, one STAFF membership) share an entry, each bound to its own clinic', async () => {
    const run = (db: ReturnType<typeof cachedDb>, name: string) =>
      db.patient.findMany({ where: { name: { not: name } }, orderBy: { id: 'asc' } });
    const a1 = await delta(() => run(cachedDb(t.sessions.staffA), 'x'));
    const a2 = await delta(() => run(cachedDb(t.sessions.staffA), 'y'));
    const b1 = await delta(() => run(cachedDb(t.sessions.staffB), 'x'));
    const b2 = await delta(() => run(cachedDb(t.sessions.staffB), 'z'));
    // staffB's first read is a hit of staffA's entry: its membership's clinic id is a bound parameter (issue 26.2).
    expect([a1.misses, a2.hits, b1.hits, b2.hits]).toEqual([1, 1, 1, 1]);
    expect(b1.value).toEqual(await run(plainDb(t.sessions.staffB), 'x'));
    expect(a2.value.map((p) => p.id)).toContain(t.patientA.id);
    expect(a2.value.map((p) => p.id)).not.toContain(t.patientB.id);
    expect(b2.value.map((p) => p.id)).toContain(t.patientB.id);
    expect(b2.value.map((p) => p.id)).not.toContain(t.patientA.id);
    expect(b2.value).toEqual(await run(plainDb(t.sessions.staffB), 'z'));
  });

  it('sessions whose rules fold alike share an entry when no session value is in the SQL', async () => {
    const run = (s: Session, id: string) => cachedDb(s).clinic.findUnique({ where: { id } });
    await run(t.sessions.staffA, t.clinicA.id);
    const other = await delta(() => run(t.sessions.staffB, t.clinicB.id)); // a USER too: Clinic reads fold to true
    expect(other.hits).toBe(1);
    expect(other.value).toEqual(await plainDb(t.sessions.staffB).clinic.findUnique({ where: { id: t.clinicB.id } }));
  });
});
