/** Relations under the policy table: includes are filtered, nested writes are checked per model. */
import { afterAll, describe, expect, it } from 'vitest';
import { createDb, findManyPaged } from '../src/index.ts';
import { arrangeLinked, dec, openUnrestrictedDb, SESSIONS, snapshot, uid } from './support/fixtures.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

describe('includes', () => {
  it('give an authenticated user the whole graph: clinic -> links -> treatment', async () => {
    const { clinic, treatment, link } = await arrangeLinked(raw);
    const db = createDb(SESSIONS.user);
    const found = await db.clinic.findUnique({
      where: { id: clinic.id },
      include: {
        treatmentsByClinic: { include: { treatment: true } },
        _count: { select: { treatmentsByClinic: true } },
      },
    });
    expect(found?.treatmentsByClinic).toHaveLength(1);
    expect(found?.treatmentsByClinic[0]?.id).toBe(link.id);
    expect(found?.treatmentsByClinic[0]?.treatment.id).toBe(treatment.id);
    expect(found?._count.treatmentsByClinic).toBe(1);
  });

  it('give an anonymous session nothing, from either side of the relation', async () => {
    const { clinic, treatment } = await arrangeLinked(raw);
    const db = createDb(SESSIONS.anonymous);
    await expect(
      db.clinic.findUnique({ where: { id: clinic.id }, include: { treatmentsByClinic: true } }),
    ).toResolveNull();
    expect(await db.treatment.findMany({ where: { id: treatment.id }, include: { treatmentsByClinic: true } })).toEqual(
      [],
    );
    expect(await db.treatmentsByClinic.findMany({ where: { clinicId: clinic.id } })).toEqual([]);
  });
});

describe('findManyPaged', () => {
  it('returns the same page as findMany with include, in order, under the same rules', async () => {
    for (let i = 0; i < 6; i++) await arrangeLinked(raw);
    const paging = { take: 4, skip: 1, orderBy: [{ name: 'desc' as const }, { id: 'asc' as const }] };
    const include = { treatmentsByClinic: { include: { treatment: true } } };
    for (const session of ['user', 'admin', 'anonymous'] as const) {
      const db = createDb(SESSIONS[session]);
      const naive = await db.clinic.findMany({ ...paging, include });
      const paged = await findManyPaged(db.clinic, paging, (where) => db.clinic.findMany({ where, include }));
      expect(paged).toEqual(naive);
      expect(paged.length).toBe(session === 'anonymous' ? 0 : 4);
    }
  });
});

describe('nested writes', () => {
  it('let ADMIN create a clinic with links to new and existing treatments in one call', async () => {
    const existing = await raw.treatment.create({ data: { name: uid('Existing'), price: dec('10.00') } });
    const db = createDb(SESSIONS.admin);
    const clinic = await db.clinic.create({
      data: {
        name: uid('Nested'),
        code: uid('N'),
        treatmentsByClinic: {
          create: [
            { treatment: { connect: { id: existing.id } }, priceOverride: dec('8.00') },
            { treatment: { create: { name: uid('Brand new'), price: dec('30.00') } } },
          ],
        },
      },
      include: { treatmentsByClinic: true },
    });
    expect(clinic.treatmentsByClinic).toHaveLength(2);
    expect(await raw.treatmentsByClinic.count({ where: { clinicId: clinic.id } })).toBe(2);
  });

  for (const session of ['user', 'support', 'anonymous'] as const) {
    it(`deny ${session} a nested create through an update, leaving every table unchanged`, async () => {
      const { clinic } = await arrangeLinked(raw);
      const before = await snapshot(raw);
      const db = createDb(SESSIONS[session]);
      const attempt = db.clinic.update({
        where: { id: clinic.id },
        data: { treatmentsByClinic: { create: { treatment: { create: { name: 'Sneaky', price: dec('1.00') } } } } },
      });
      // A reader is refused by the nested create's rule; anonymous may update no clinic at all, so it is refused too.
      await expect(attempt).toBeRejectedByPolicy();
      expect(await snapshot(raw)).toEqual(before);
    });

    it(`deny ${session} a link created by connecting existing rows`, async () => {
      const { clinic } = await arrangeLinked(raw);
      const treatment = await raw.treatment.create({ data: { name: uid('T'), price: dec('2.00') } });
      const before = await snapshot(raw);
      await expect(
        createDb(SESSIONS[session]).treatmentsByClinic.create({
          data: { clinic: { connect: { id: clinic.id } }, treatment: { connect: { id: treatment.id } } },
        }),
      ).toBeRejectedByPolicy();
      expect(await snapshot(raw)).toEqual(before);
    });
  }

  it('roll back the whole nested create when a nested row fails (unique clash)', async () => {
    const { clinic, treatment } = await arrangeLinked(raw);
    const before = await snapshot(raw);
    await expect(
      createDb(SESSIONS.admin).treatment.create({
        data: {
          name: uid('Dup'),
          price: dec('3.00'),
          // Two links to the same clinic for one treatment violate @@unique([clinicId, treatmentId]).
          treatmentsByClinic: { create: [{ clinicId: clinic.id }, { clinicId: clinic.id }] },
        },
      }),
    ).toBeRejectedByDb();
    expect(await snapshot(raw)).toEqual(before);
    expect(treatment.id).toBeTruthy();
  });
});
