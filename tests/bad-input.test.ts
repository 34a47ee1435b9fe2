/** Bad input gets a clear error and writes nothing; the database is read back after each attempt. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { arrangeLinked, dec, openUnrestrictedDb, SESSIONS, snapshot } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const admin = () => createDb(SESSIONS.admin);
beforeAll(() => arrangeLinked(raw));

/** Runs `attempt`, expects it to fail, and proves every table is exactly as before. */
async function refusedWithoutTrace(attempt: () => Promise<unknown>) {
  const before = await snapshot(raw);
  let failed = false;
  try {
    await attempt();
  } catch {
    failed = true;
  }
  expect(failed, 'the write should have been refused').toBe(true);
  expect(await snapshot(raw)).toEqual(before);
}

const INJECTIONS = [
  `' OR '1'='1`,
  `'; DROP TABLE "Clinic"; --`,
  `%' OR name LIKE '%`,
  `\\'; SELECT pg_sleep(5); --`,
  `Robert'); DELETE FROM "TreatmentsByClinic"; --`,
];

describe('SQL injection attempts are data', () => {
  it.each(INJECTIONS)('filter %j matches nothing and changes nothing', async (evil) => {
    const before = await snapshot(raw);
    expect(await admin().clinic.findMany({ where: { name: evil } })).toEqual([]);
    expect(await admin().clinic.findMany({ where: { code: { contains: evil } } })).toEqual([]);
    expect(await admin().clinic.findMany({ where: { name: { startsWith: evil, mode: 'insensitive' } } })).toEqual([]);
    expect(await snapshot(raw)).toEqual(before);
  });

  it('stores a hostile name verbatim', async () => {
    const evil = INJECTIONS[4] as string;
    const c = await admin().clinic.create({ data: { name: evil, code: 'INJ-1' } });
    expect((await raw.clinic.findUniqueOrThrow({ where: { id: c.id } })).name).toBe(evil);
  });
});

describe('invalid values', () => {
  it.each([['abc'], ['1e999'], ['NaN'], ['Infinity'], [''], ['12,50']])('price %j is refused', async (price) => {
    await refusedWithoutTrace(() => admin().treatment.create({ data: { name: 'P', price: price as never } }));
  });

  it('refuses a price with more than 8 integer digits, a negative price, and NaN on a link', async () => {
    await refusedWithoutTrace(() => admin().treatment.create({ data: { name: 'P', price: dec('123456789.00') } }));
    await refusedWithoutTrace(() => admin().treatment.create({ data: { name: 'P', price: dec('-0.01') } }));
    const { link } = await arrangeLinked(raw);
    await refusedWithoutTrace(() =>
      admin().treatmentsByClinic.update({ where: { id: link.id }, data: { priceOverride: 'NaN' as never } }),
    );
  });

  it('refuses wrong types and unknown fields with invalid-input', async () => {
    const before = await snapshot(raw);
    await expect(admin().clinic.create({ data: { name: 42 as never, code: 'T1' } })).toBeRejectedInvalidInput();
    await expect(
      admin().clinic.create({ data: { name: 'N', code: 'T2', owner: 'me' } as never }),
    ).toBeRejectedInvalidInput();
    await expect(
      admin().treatment.create({ data: { name: 'N', price: dec('1'), maintenanceIntervalMonths: '6' as never } }),
    ).toBeRejectedInvalidInput();
    await expect(admin().clinic.findMany({ where: { nope: 1 } as never })).toBeRejectedInvalidInput();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('enforces the documented text limits (@length) on create and update', async () => {
    const before = await snapshot(raw);
    await expect(admin().clinic.create({ data: { name: '', code: 'E1' } })).toBeRejectedInvalidInput();
    await expect(admin().clinic.create({ data: { name: 'x'.repeat(201), code: 'E2' } })).toBeRejectedInvalidInput();
    await expect(admin().clinic.create({ data: { name: 'ok', code: 'C'.repeat(33) } })).toBeRejectedInvalidInput();
    await expect(
      admin().treatment.create({ data: { name: 'ok', price: dec('1'), description: 'd'.repeat(2001) } }),
    ).toBeRejectedInvalidInput();
    const { clinic } = await arrangeLinked(raw);
    const mid = await snapshot(raw);
    await expect(admin().clinic.update({ where: { id: clinic.id }, data: { name: '' } })).toBeRejectedInvalidInput();
    expect(await snapshot(raw)).toEqual(mid);
    expect(before.clinics.length).toBe(mid.clinics.length - 1);
  });

  it('keeps the limits in the database too, for paths that skip the ORM validation ($qb)', async () => {
    await refusedWithoutTrace(() =>
      admin()
        .$qb.insertInto('Clinic')
        .values({ id: 'qb-empty', name: '', code: 'QB-E', updatedAt: new Date().toISOString() })
        .execute(),
    );
    await refusedWithoutTrace(() =>
      admin()
        .$qb.updateTable('Treatment')
        .set({ price: '-5' as never })
        .execute(),
    );
  });
});
