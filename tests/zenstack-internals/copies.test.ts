/**
 * Contract tests of the two copies of ZenStack behaviour the query cache
 * keeps (src/zenstack-internals/result-mapper.ts, input-conversions.ts): each
 * read runs through stock ZenStack with the statement's raw rows captured,
 * and the copy must give exactly what ZenStack gave (the result as the app
 * sees it; the parameter as the driver gets it). A failure here after an
 * upgrade means ZenStack changed its result processing or its input
 * transforms: review the copy before the cache serves another hit.
 */
import Decimal from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Capture, QueryCapturePlugin, withCapture } from '../../src/fast-path/query-cache/capture.ts';
import { AS, ResultMapper, sameResult } from '../../src/zenstack-internals/index.ts';
import { schema } from '../../zenstack/schema.ts';
import { openUnrestrictedDb, uid } from '../support/fixtures.ts';
import { stockClient } from './harness.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const client = stockClient([new QueryCapturePlugin()]);
const since = new Date('2020-01-02T03:04:05.678Z');

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const clinic = await raw.clinic.create({ data: { name: uid('Mapper clinic'), code: uid('M') } });
    const treatment = await raw.treatment.create({
      data: { name: uid('Mapper treatment'), price: new Decimal(`1${i}.50`), maintenanceIntervalMonths: i || null },
    });
    await raw.treatmentsByClinic.create({
      data: { clinicId: clinic.id, treatmentId: treatment.id, priceOverride: i ? new Decimal('9.99') : null },
    });
  }
});

/** Stock ZenStack's answer, and the mapper's from the same statement's raw rows. */
async function both(model: string, operation: string, args: unknown) {
  const capture: Capture = { probe: false, statements: [], passedThrough: 0 };
  const delegate = (client as unknown as Record<string, Record<string, (a: unknown) => Promise<unknown>>>)[
    model.charAt(0).toLowerCase() + model.slice(1)
  ];
  // ZenStack queries are lazy: awaited inside the scope, or they run after it.
  const stock = await withCapture(capture, async () => await delegate?.[operation]?.(args));
  expect(capture.statements).toHaveLength(1);
  const rows = capture.statements[0]?.rows ?? [];
  const mapped = new ResultMapper(schema, client.$options).map(model, operation, rows, args);
  return { stock, mapped, parameters: capture.statements[0]?.parameters ?? [] };
}

describe('result-mapper.ts maps raw rows as ZenStack does', () => {
  const reads: [string, string, unknown][] = [
    [
      'Clinic',
      'findMany',
      { include: { treatmentsByClinic: { include: { treatment: true } } }, orderBy: { id: 'asc' } },
    ],
    [
      'Clinic',
      'findMany',
      { take: -2, orderBy: { id: 'asc' }, include: { _count: { select: { treatmentsByClinic: true } } } },
    ],
    ['Treatment', 'findFirst', { where: { price: { gte: new Decimal('10') } }, orderBy: { price: 'desc' } }],
    ['Treatment', 'findUnique', { where: { id: 'no-such-id' } }],
    [
      'TreatmentsByClinic',
      'findMany',
      { select: { priceOverride: true, createdAt: true, clinic: { select: { code: true } } } },
    ],
    ['Clinic', 'count', {}],
    ['Clinic', 'count', { select: { _all: true, id: true } }],
    ['Clinic', 'exists', { where: { code: { startsWith: 'M' } } }],
  ];
  for (const [model, operation, args] of reads) {
    it(`${model}.${operation}(${JSON.stringify(args)})`, async () => {
      const { stock, mapped } = await both(model, operation, args);
      expect(sameResult(mapped, stock), JSON.stringify({ mapped, stock })).toBe(true);
    });
  }
});

describe('input-conversions.ts: a filter value reaches pg as ZenStack sends it', () => {
  const conversion = (name: string) => AS.find(([as]) => as === name)?.[1] as (v: unknown) => unknown;

  it('a Date as ISO text, a Decimal and a number for a Decimal column as their text, a string as it is', async () => {
    const price = new Decimal('12.5');
    const { parameters } = await both('Treatment', 'findMany', {
      where: { createdAt: { gte: since }, price: { lte: price }, name: { not: 'x' }, maintenanceIntervalMonths: 7 },
    });
    expect(parameters).toContainEqual(conversion('iso')(since));
    expect(parameters).toContainEqual(conversion('text')(price));
    expect(parameters).toContainEqual(conversion('same')('x'));
    expect(parameters).toContainEqual(conversion('same')(7));
    const { parameters: numeric } = await both('Treatment', 'findMany', { where: { price: { lte: 12.5 } } });
    expect(numeric).toContainEqual(conversion('text')(12.5));
  });

  it("startsWith, endsWith and contains as ZenStack's escaped LIKE pattern (`\\`, `%` and `_` escaped)", async () => {
    const value = 'a\\b%c_d';
    for (const [op, as] of [
      ['startsWith', 'like-prefix'],
      ['endsWith', 'like-suffix'],
      ['contains', 'like-contains'],
    ] as const) {
      for (const mode of ['default', 'insensitive'] as const) {
        const { parameters } = await both('Treatment', 'findMany', { where: { name: { [op]: value, mode } } });
        expect(parameters, `${op} ${mode}`).toContainEqual(conversion(as)(value));
      }
    }
    expect(conversion('like-contains')(value)).toBe('%a\\\\b\\%c\\_d%');
  });
});
