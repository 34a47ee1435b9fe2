/**
 * Issue 26, point 1: the reproduction of the probe collision. A findMany
 * whose where has a float `lte`, 23 other leaves and a Decimal `lte` on the
 * same Decimal column, warmed by a SUPPORT session (Treatment's read rule
 * folds, so the entry is shared) and hit by a USER with other values: the
 * rows must be the plain path's. Before the fix the 25th probe (a Decimal,
 * 700001.25) equalled the float's probe by text and the Decimal's parameter
 * was bound to the float's value. The delegate reproduction needs a schema
 * with `@@delegate`: tests/schema-corpus.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindParameters } from '../src/fast-path/query-cache/bind.ts';
import { probeValues, valueKeys } from '../src/fast-path/query-cache/shape.ts';
import { dec, openUnrestrictedDb } from './support/fixtures.ts';
import { arrangeCacheFixtures, cacheHarness } from './support/query-cache.ts';
import type { Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const { delta, plainDb, cachedDb } = cacheHarness();

let t: Tenancy;
let ids: string[];
beforeAll(async () => {
  const fixtures = await arrangeCacheFixtures(raw);
  t = fixtures.t;
  ids = fixtures.treatments.map((x) => x.id);
});

/** 25 leaves: the float first, 4 ids, 19 string/Date/number leaves every fixture passes, the Decimal last. */
function wideWhere(float: number, decimal: unknown, salt: string) {
  const others: object[] = [];
  for (let k = 0; k < 10; k++) others.push({ name: { not: `${salt}-${k}` } });
  for (let k = 0; k < 5; k++) others.push({ createdAt: { gt: new Date(Date.UTC(2001, 0, 1 + k)) } });
  for (let k = 0; k < 4; k++) others.push({ price: { gt: -(k + 1) } });
  return {
    AND: [{ price: { lte: float } }, { id: { in: ids } }, ...others, { price: { lte: decimal as never } }],
  };
}

describe('the 25-leaf Decimal/float findMany (issue 26, 1.1)', () => {
  for (const [form, toDecimal] of [
    ['a Decimal', (s: string) => dec(s)],
    ['Decimal text', (s: string) => s],
  ] as const) {
    it(`warmed by SUPPORT, hit by USER: the plain path's rows (${form})`, async () => {
      const args = (float: number, decimal: string) => ({
        where: wideWhere(float, toDecimal(decimal), form),
        orderBy: { id: 'asc' as const },
      });
      const warm = await delta(() => cachedDb(t.sessions.supportA).treatment.findMany(args(1.5, '1.5')));
      expect(warm.misses).toBe(1);
      expect(warm.value).toEqual([]);
      const hit = await delta(() => cachedDb(t.sessions.staffA).treatment.findMany(args(999.5, '15')));
      const plain = await plainDb(t.sessions.staffA).treatment.findMany(args(999.5, '15'));
      expect(plain.map((r) => String(r.price))).toEqual(['10']);
      expect(hit.value).toEqual(plain);
      // It is served from the cache now that the probes cannot collide: the fix is not "never cache".
      expect(hit.hits).toBe(1);
      const swapped = await cachedDb(t.sessions.staffA).treatment.findMany(args(15.5, '1000'));
      expect(swapped).toEqual(await plainDb(t.sessions.staffA).treatment.findMany(args(15.5, '1000')));
    });
  }
});

describe('probe values and binding', () => {
  it('no probe shares a form (text, number, ISO text) with another probe or a real value', () => {
    const D = dec('1').constructor as new (v: string) => unknown;
    const leaves: unknown[] = [];
    for (let k = 0; k < 60; k++) leaves.push(1.5, '1.5', new D('1.5'), 3, '700001.25', new Date(0), `s${k}`);
    leaves.push(700001.25, new D('700001.013'), '700008.75');
    const probes = probeValues(leaves, ['700015.25', 700022]);
    const seen = new Map<string, number>();
    for (const [i, v] of [...leaves, '700015.25', 700022].entries()) for (const k of valueKeys(v)) seen.set(k, i);
    for (const [i, p] of probes.entries()) {
      for (const k of valueKeys(p)) {
        expect(seen.has(k), `probe ${i} (${String(p)}) collides on ${k}`).toBe(false);
        seen.set(k, i);
      }
    }
  });

  it('a parameter two leaves explain makes the shape uncacheable', () => {
    const real = { sql: 'select $1', parameters: ['1.5'] };
    const probe = { sql: 'select $1', parameters: ['9.25'] };
    expect(bindParameters(real, probe, [1.5, '1.5'], [9.25, '9.25'])).toBe('parameter 1 matches more than one leaf');
    expect(bindParameters(real, probe, [1.5, '1.5'], [9.25, '8.75'])).toEqual([{ leaf: 0, as: 'text' }]);
  });
});
