/** Bulk inserts past PostgreSQL's 65,535 bind-parameter limit. */
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, createManyChunked, rowsPerStatement } from '../src/index.ts';
import { dec, openUnrestrictedDb, SESSIONS, snapshot } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

const clinics = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix} clinic ${i}`, code: `${prefix}-${i}` }));

// 20,000 rows through ZenStack's per-row work: ~15 s alone, far more on a loaded 2-core machine.
describe('createManyChunked', { timeout: 180_000 }, () => {
  it('documents the limit it works around: one createMany of 14,000 rows x 5 values fails', async () => {
    const rows = Array.from({ length: 14_000 }, (_, i) => ({
      name: `T${i}`,
      description: 'd',
      price: dec('1.00'),
      maintenanceIntervalMonths: 1,
    }));
    await expect(createDb(SESSIONS.admin).treatment.createMany({ data: rows })).rejects.toThrow();
    expect(await raw.treatment.count()).toBe(0);
  });

  it('inserts 20,000 rows through the policy client in statements that fit', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({
      name: `Bulk ${i}`,
      description: `row ${i}`,
      price: dec('9.99'),
      maintenanceIntervalMonths: (i % 12) + 1,
    }));
    expect(await createManyChunked(createDb(SESSIONS.admin), 'treatment', rows)).toBe(20_000);
    expect(await raw.treatment.count({ where: { name: { startsWith: 'Bulk ' } } })).toBe(20_000);
    expect(rowsPerStatement(7) * 7).toBeLessThan(65_535);
  });

  it('is all-or-nothing: a duplicate in a late chunk leaves no row from earlier chunks', async () => {
    const rows = clinics(3_000, 'atomic');
    rows.push({ name: 'dup', code: 'atomic-0' });
    const before = await snapshot(raw);
    await expect(createManyChunked(createDb(SESSIONS.admin), 'clinic', rows, { chunkSize: 500 })).rejects.toThrow();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('skips duplicates when asked, and still obeys the access rules', async () => {
    await createManyChunked(createDb(SESSIONS.admin), 'clinic', clinics(10, 'skip'));
    expect(
      await createManyChunked(createDb(SESSIONS.admin), 'clinic', clinics(20, 'skip'), { skipDuplicates: true }),
    ).toBe(10);
    const before = await snapshot(raw);
    await expect(createManyChunked(createDb(SESSIONS.user), 'clinic', clinics(5, 'user'))).toBeRejectedByPolicy();
    expect(await snapshot(raw)).toEqual(before);
  });
});
