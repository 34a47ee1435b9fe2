/**
 * The layers on schemas other than ours (issue 26, point 1): each schema of
 * tests/schema-corpus/ on a fresh database, a few rows, a set of reads run as
 * miss then hit with changing values, each equal to stock ZenStack 3.9.4 +
 * PolicyPlugin for the same session. Also the delegate reproduction: a
 * findUnique on a `@@delegate` model that first finds nothing, then a row.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agreeWithStock,
  type Corpus,
  type CorpusRead,
  type CorpusSession,
  openCorpus,
} from './schema-corpus/harness.ts';
import { schema as library } from './schema-corpus/library/schema.ts';
import { schema as sites } from './schema-corpus/sites/schema.ts';

const admin: CorpusSession = { id: 'admin-1', role: 'ADMIN' };
const support: CorpusSession = { id: 'support-1', role: 'SUPPORT', memberships: [{ clinicId: 's1', role: 'STAFF' }] };
const staff1: CorpusSession = { id: 'staff-1', role: 'USER', memberships: [{ clinicId: 's1', role: 'STAFF' }] };
const viewer2: CorpusSession = {
  id: 'viewer-2',
  role: 'USER',
  memberships: [
    { clinicId: 's2', role: 'VIEWER' },
    { clinicId: 's3', role: 'STAFF' },
  ],
};
const owner1: CorpusSession = { id: 'o1', role: 'USER' };
const owner2: CorpusSession = { id: 'o2', role: 'USER' };
const sessions = [admin, support, staff1, viewer2, owner1, owner2, null];
const pick = <T>(v: number, values: T[]) => values[v % values.length] as T;

describe('library: delegate models, a self-relation, enum, arrays, Json, no @updatedAt', () => {
  let c: Corpus;
  beforeAll(async () => {
    c = await openCorpus('library', library);
    const db = c.stock;
    await db.owner?.create?.({ data: { id: 'o1', name: 'Ann' } });
    await db.owner?.create?.({ data: { id: 'o2', name: 'Bob', mentorId: 'o1' } });
    await db.owner?.create?.({ data: { id: 'o3', name: 'Cy', mentorId: 'o1' } });
    const assets = [
      ['v1', 'video', 'o1', 'PUBLIC', ['a', 'b'], { n: 1 }, 1.5, '1.5', 10n],
      ['v2', 'video', 'o2', 'PRIVATE', ['b'], null, 2.5, '3.25', 20n],
      ['i1', 'image', 'o1', 'PRIVATE', [], { n: [1, 2] }, 1.5, '1.50', 30n],
      ['i2', 'image', 'o3', 'PUBLIC', ['c'], 'text', 4, '700001.25', 40n],
    ] as const;
    for (const [id, kind, ownerId, visibility, tags, meta, rating, cost, size] of assets) {
      const base = {
        id,
        owner: { connect: { id: ownerId } },
        visibility,
        tags: [...tags],
        ...(meta === null ? {} : { meta }),
        rating,
        cost: new Decimal(cost),
        size,
      };
      if (kind === 'video') await db.video?.create?.({ data: { ...base, duration: rating * 10 } });
      else await db.image?.create?.({ data: { ...base, width: rating * 100 } });
    }
  });
  afterAll(() => c?.close());

  const reads: CorpusRead[] = [
    {
      name: 'owners with mentor',
      model: 'owner',
      op: 'findMany',
      args: (v) => ({
        where: { name: { not: pick(v, ['x', 'Ann']) } },
        include: { mentor: true },
        orderBy: { id: 'asc' },
      }),
    },
    {
      name: 'owner by id, mentees',
      model: 'owner',
      op: 'findUnique',
      args: (v) => ({ where: { id: pick(v, ['o1', 'o2', 'zz']) }, include: { mentees: { orderBy: { id: 'asc' } } } }),
    },
    {
      name: 'owners, last two',
      model: 'owner',
      op: 'findMany',
      args: (v) => ({
        where: {
          id: {
            in: pick(v, [
              ['o1', 'o2', 'o3'],
              ['o2', 'o3', 'o9'],
            ]),
          },
        },
        take: -2,
        orderBy: { id: 'asc' },
      }),
    },
    {
      name: 'owner with assets (delegate include)',
      model: 'owner',
      op: 'findUnique',
      args: (v) => ({ where: { id: pick(v, ['o1', 'o3']) }, include: { assets: true } }),
    },
    {
      name: 'assets (delegate base)',
      model: 'asset',
      op: 'findMany',
      args: (v) => ({ where: { rating: { lte: pick(v, [1.5, 4, 2.5]) } }, orderBy: { id: 'asc' } }),
    },
    {
      name: 'asset by id (delegate base)',
      model: 'asset',
      op: 'findUnique',
      args: (v) => ({ where: { id: pick(v, ['v1', 'i1', 'v2']) } }),
    },
    {
      name: 'videos (derived)',
      model: 'video',
      op: 'findMany',
      args: (v) => ({ where: { duration: { gt: pick(v, [1, 20, 5]) } }, orderBy: { id: 'asc' } }),
    },
    {
      name: 'images by tag and cost',
      model: 'image',
      op: 'findMany',
      args: (v) => ({ where: { tags: { has: pick(v, ['c', 'a', 'b']) }, cost: { lte: pick(v, ['1000000', '2']) } } }),
    },
    {
      name: 'asset count by float and Decimal',
      model: 'asset',
      op: 'count',
      args: (v) => ({
        where: {
          rating: { gte: pick(v, [1.5, 2, 4]) },
          cost: { lte: pick(v, [new Decimal('1.5'), new Decimal('800000')]) },
        },
      }),
    },
    {
      name: 'asset exists by size',
      model: 'asset',
      op: 'exists',
      args: (v) => ({ where: { size: { gt: pick(v, [15n, 35n, 99n]) } } }),
    },
  ];

  it('reads agree with stock ZenStack + PolicyPlugin on miss and hit, cache on and off', async () => {
    const before = c.stats();
    await agreeWithStock(c, reads, sessions);
    const after = c.stats();
    // The cache served some of them (the non-delegate shapes), and refused the delegate ones.
    expect(after.hits - before.hits).toBeGreaterThan(20);
    expect(after.uncacheable - before.uncacheable).toBeGreaterThan(0);
  });

  it('a delegate findUnique that first finds nothing, then a visible row: never a cached mapping', async () => {
    const find = () => ({ where: { id: 'v2' } });
    for (const model of ['asset', 'video']) {
      await c.stock[model]?.update?.({ where: { id: 'v2' }, data: { visibility: 'PRIVATE' } });
      expect(await c.ours(owner1)[model]?.findUnique?.(find())).toBeNull();
      await c.stock[model]?.update?.({ where: { id: 'v2' }, data: { visibility: 'PUBLIC' } });
      const seen = await c.ours(owner1)[model]?.findUnique?.(find());
      expect(seen).toMatchObject({ id: 'v2', kind: 'Video', duration: 25 });
      expect(seen).toEqual(await c.reference(owner1)[model]?.findUnique?.(find()));
    }
    await c.stock.asset?.update?.({ where: { id: 'v2' }, data: { visibility: 'PRIVATE' } });
  });
});

describe('sites: compound ids, to-many auth rules, every leaf kind, no @updatedAt', () => {
  let c: Corpus;
  beforeAll(async () => {
    c = await openCorpus('sites', sites);
    const db = c.stock;
    for (const [id, name] of [
      ['s1', 'North'],
      ['s2', 'South'],
      ['s3', 'East'],
    ])
      await db.site?.create?.({ data: { id, name } });
    for (const [siteId, number, floor, area] of [
      ['s1', 1, 1.5, '1.5'],
      ['s1', 2, 2, '20.25'],
      ['s2', 1, 1.5, '1.50'],
      ['s3', 7, 3.75, '3.75'],
    ] as const) {
      await db.room?.create?.({
        data: { siteId, number, label: `${siteId}-${number}`, floor, area: new Decimal(area) },
      });
      await db.booking?.create?.({
        data: { siteId, roomNumber: number, at: new Date(Date.UTC(2026, 0, number)), note: number === 2 ? null : 'n' },
      });
    }
    const measures = [
      ['m1', 's1', 1, 1.5, '1.5', 1, 1n, '1', 'LOW', [1, 2]],
      ['m2', 's2', 2, 1.5, '2', 2, 2n, '1.5', 'HIGH', [2]],
      ['m3', 's3', 1, 2, '1.5', 3, 1n, 'x', 'HIGH', []],
    ] as const;
    for (const [id, siteId, i, f, d, day, b, s, level, codes] of measures) {
      const at = new Date(Date.UTC(2026, 1, day));
      await db.measure?.create?.({ data: { id, siteId, i, f, d: new Decimal(d), at, b, s, level, codes: [...codes] } });
    }
  });
  afterAll(() => c?.close());

  const reads: CorpusRead[] = [
    {
      name: 'sites with rooms and bookings',
      model: 'site',
      op: 'findMany',
      args: (v) => ({
        where: { name: { not: pick(v, ['x', 'North']) } },
        include: { rooms: { include: { bookings: true }, orderBy: { number: 'asc' } } },
        orderBy: { id: 'asc' },
      }),
    },
    {
      name: 'room by compound id',
      model: 'room',
      op: 'findUnique',
      args: (v) => ({
        where: { siteId_number: { siteId: pick(v, ['s1', 's2', 's3']), number: pick(v, [1, 1, 7]) } },
        include: { site: true },
      }),
    },
    {
      name: 'bookings since, newest first',
      model: 'booking',
      op: 'findMany',
      args: (v) => ({
        where: { at: { gte: pick(v, [new Date(Date.UTC(2026, 0, 1)), new Date(Date.UTC(2026, 0, 2))]) } },
        orderBy: { id: 'desc' },
        include: { room: true },
      }),
    },
    {
      name: 'rooms by float and Decimal',
      model: 'room',
      op: 'findMany',
      args: (v) => ({
        where: { floor: { lte: pick(v, [1.5, 3.75, 2]) }, area: { lte: pick(v, ['1.5', '20.25', '3']) } },
        orderBy: [{ siteId: 'asc' }, { number: 'asc' }],
      }),
    },
    {
      name: 'measures by every kind',
      model: 'measure',
      op: 'findMany',
      args: (v) => ({
        where: {
          i: { lte: pick(v, [1, 2]) },
          f: { lte: pick(v, [1.5, 2]) },
          d: { lte: pick(v, [new Decimal('1.5'), new Decimal(2)]) },
          at: { lte: pick(v, [new Date(Date.UTC(2026, 1, 1)), new Date(Date.UTC(2026, 1, 3))]) },
          b: { lte: pick(v, [1n, 2n]) },
          s: { not: pick(v, ['1.5', '1']) },
          codes: { has: pick(v, [1, 2]) },
        },
        orderBy: { id: 'asc' },
      }),
    },
    {
      name: 'measure count by level',
      model: 'measure',
      op: 'count',
      args: (v) => ({ where: { level: 'HIGH', i: { gte: pick(v, [1, 2]) } }, select: { _all: true, s: true } }),
    },
    {
      name: 'measure first with site',
      model: 'measure',
      op: 'findFirst',
      args: (v) => ({ where: { s: pick(v, ['1', 'x', '1.5']) }, include: { site: true } }),
    },
  ];

  it('reads agree with stock ZenStack + PolicyPlugin on miss and hit, cache on and off', async () => {
    const before = c.stats();
    await agreeWithStock(c, reads, sessions);
    expect(c.stats().hits - before.hits).toBeGreaterThan(20);
  });
});
