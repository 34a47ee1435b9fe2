/** Column types and constraints the schema promises, checked against PostgreSQL itself. */
import Decimal from 'decimal.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { arrangeLinked, dec, openUnrestrictedDb, SESSIONS, snapshot, uid } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const admin = () => createDb(SESSIONS.admin);

describe('Decimal(10,2)', () => {
  it.each(['0.01', '19.99', '39.50', '99999999.99', '0.00'])('round-trips %s exactly', async (price) => {
    const t = await admin().treatment.create({ data: { name: uid('Price'), price: dec(price) } });
    expect(Decimal.isDecimal(t.price)).toBe(true);
    expect(t.price.toFixed(2)).toBe(price);
    const back = await raw.treatment.findUniqueOrThrow({ where: { id: t.id } });
    expect(back.price.toFixed(2)).toBe(price);
  });

  it('accepts decimal.js values and keeps cents that floats would lose', async () => {
    const t = await admin().treatment.create({ data: { name: uid('Float'), price: new Decimal('0.1').plus('0.2') } });
    expect(t.price.toFixed(2)).toBe('0.30');
  });

  it('rejects a price with more than 8 integer digits and writes nothing', async () => {
    const before = await snapshot(raw);
    await expect(
      admin().treatment.create({ data: { name: uid('Huge'), price: dec('123456789.00') } }),
    ).toBeRejectedByDb();
    expect(await snapshot(raw)).toEqual(before);
  });
});

describe('constraints', () => {
  it('keeps Clinic.code unique and leaves the first row intact', async () => {
    const code = uid('DUP');
    const first = await admin().clinic.create({ data: { name: 'First', code } });
    await expect(admin().clinic.create({ data: { name: 'Second', code } })).toBeRejectedByDb();
    expect(await raw.clinic.findMany({ where: { code } })).toEqual([first]);
  });

  it('keeps one link per clinic and treatment', async () => {
    const { clinic, treatment } = await arrangeLinked(raw);
    const before = await snapshot(raw);
    await expect(
      admin().treatmentsByClinic.create({ data: { clinicId: clinic.id, treatmentId: treatment.id } }),
    ).toBeRejectedByDb();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('refuses a link to a clinic that does not exist', async () => {
    const treatment = await raw.treatment.create({ data: { name: uid('T'), price: dec('1.00') } });
    const before = await snapshot(raw);
    await expect(
      admin().treatmentsByClinic.create({ data: { clinicId: 'no-such-clinic', treatmentId: treatment.id } }),
    ).toBeRejectedByDb();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('refuses to delete a clinic that still has links (ON DELETE RESTRICT)', async () => {
    const { clinic } = await arrangeLinked(raw);
    const before = await snapshot(raw);
    await expect(admin().clinic.delete({ where: { id: clinic.id } })).toBeRejectedByDb();
    expect(await snapshot(raw)).toEqual(before);
  });
});

describe('defaults', () => {
  it('generates cuid ids and createdAt, and moves updatedAt on every update', async () => {
    const c = await admin().clinic.create({ data: { name: uid('Times'), code: uid('T') } });
    expect(c.id).toMatch(/^c[a-z0-9]{20,}$/);
    expect(c.createdAt.getTime()).toBe(c.updatedAt.getTime());
    await new Promise((r) => setTimeout(r, 5));
    const u = await admin().clinic.update({ where: { id: c.id }, data: { name: 'Renamed' } });
    expect(u.updatedAt.getTime()).toBeGreaterThan(c.updatedAt.getTime());
    expect(u.createdAt).toEqual(c.createdAt);
  });
});
