/**
 * Soft delete for Patient: delete marks the row, reads hide it, ADMIN lists
 * and restores it through createDb(session, { includeDeleted: true }), update
 * rights never turn into delete rights, and email stays unique among live
 * rows of a clinic only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ORMError } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

const email = () => `${uid('p')}@example.com`;
async function deletedPatient() {
  const patient = await raw.patient.create({ data: { name: uid('Gone'), email: email(), clinicId: t.clinicA.id } });
  await createDb(t.sessions.admin).patient.delete({ where: { id: patient.id } });
  return patient;
}

describe('deleting', () => {
  it('marks the row instead of removing it, and every read path hides it', async () => {
    const patient = await deletedPatient();
    const stored = await raw.patient.findUnique({ where: { id: patient.id } });
    expect(stored?.deletedAt).toBeInstanceOf(Date);
    for (const session of [t.sessions.admin, t.sessions.staffA]) {
      const db = createDb(session);
      await expect(db.patient.findUnique({ where: { id: patient.id } })).toResolveNull();
      expect(await db.patient.count({ where: { id: patient.id } })).toBe(0);
      const clinic = await db.clinic.findUnique({
        where: { id: t.clinicA.id },
        include: { patients: { where: { id: patient.id } }, _count: { select: { patients: true } } },
      });
      expect(clinic?.patients).toEqual([]);
      expect(clinic?._count.patients).toBe(
        await raw.patient.count({ where: { clinicId: t.clinicA.id, deletedAt: null } }),
      );
    }
  });

  it('a deleted row cannot be updated or deleted again through the default client', async () => {
    const patient = await deletedPatient();
    const before = await snapshot(raw);
    await expect(
      createDb(t.sessions.admin).patient.update({ where: { id: patient.id }, data: { name: 'x' } }),
    ).toBeRejectedNotFound();
    await expect(createDb(t.sessions.admin).patient.delete({ where: { id: patient.id } })).toBeRejectedNotFound();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('update rights are not delete rights: a STAFF member cannot set deletedAt', async () => {
    const patient = await raw.patient.create({ data: { name: uid('Kept'), email: email(), clinicId: t.clinicA.id } });
    const before = await snapshot(raw);
    const staff = createDb(t.sessions.staffA);
    await expect(
      staff.patient.update({ where: { id: patient.id }, data: { deletedAt: new Date() } }),
    ).toBeRejectedByPolicy();
    await expect(
      staff.patient.updateMany({ where: { id: patient.id }, data: { deletedAt: new Date() } }),
    ).rejects.toBeInstanceOf(ORMError);
    await expect(staff.patient.delete({ where: { id: patient.id } })).rejects.toBeInstanceOf(ORMError);
    await expect(
      staff.patient.create({
        data: { name: 'Born deleted', email: email(), clinicId: t.clinicA.id, deletedAt: new Date() },
      }),
    ).toBeRejectedByPolicy();
    expect(await snapshot(raw)).toEqual(before);
  });
});

describe('listing and restoring deleted rows', () => {
  it('ADMIN lists deleted rows with includeDeleted and restores one', async () => {
    const patient = await deletedPatient();
    const admin = createDb(t.sessions.admin, { includeDeleted: true });
    const listed = await admin.patient.findMany({ where: { deletedAt: { not: null } } });
    expect(listed.map((p) => p.id)).toContain(patient.id);
    await admin.patient.update({ where: { id: patient.id }, data: { deletedAt: null } });
    expect((await raw.patient.findUnique({ where: { id: patient.id } }))?.deletedAt).toBeNull();
    await expect(createDb(t.sessions.staffA).patient.findUnique({ where: { id: patient.id } })).toResolveTruthy();
    const audit = await raw.auditLog.findFirst({ where: { recordId: patient.id }, orderBy: { id: 'desc' } });
    expect(audit).toMatchObject({ action: 'restore', actorId: t.sessions.admin.id });
  });

  it('a delete through the includeDeleted client still only marks the row', async () => {
    const patient = await raw.patient.create({ data: { name: uid('Soft'), email: email(), clinicId: t.clinicA.id } });
    await createDb(t.sessions.admin, { includeDeleted: true }).patient.delete({ where: { id: patient.id } });
    expect((await raw.patient.findUnique({ where: { id: patient.id } }))?.deletedAt).toBeInstanceOf(Date);
  });

  it('non-ADMIN sessions see no deleted rows and cannot restore, even with includeDeleted', async () => {
    const patient = await deletedPatient();
    const before = await snapshot(raw);
    for (const session of [t.sessions.staffA, t.sessions.viewerA, t.sessions.supportA]) {
      const db = createDb(session, { includeDeleted: true });
      await expect(db.patient.findUnique({ where: { id: patient.id } })).toResolveNull();
      expect(await db.patient.count({ where: { deletedAt: { not: null } } })).toBe(0);
      await expect(db.patient.update({ where: { id: patient.id }, data: { deletedAt: null } })).rejects.toBeInstanceOf(
        ORMError,
      );
    }
    expect(await snapshot(raw)).toEqual(before);
  });
});

describe('email uniqueness among live rows', () => {
  it('is unique per clinic, case-insensitively, while the row is live', async () => {
    const address = email();
    const staff = createDb(t.sessions.staffA);
    const first = await staff.patient.create({ data: { name: 'First', email: address, clinicId: t.clinicA.id } });
    const before = await snapshot(raw);
    const error = await staff.patient
      .create({ data: { name: 'Second', email: address.toUpperCase(), clinicId: t.clinicA.id } })
      .catch((e: unknown) => e);
    expect((error as ORMError).dbErrorCode).toBe('23505');
    expect(await snapshot(raw)).toEqual(before);

    // Another clinic may hold the same address: uniqueness must not leak across tenants.
    await createDb(t.sessions.staffB).patient.create({
      data: { name: 'Elsewhere', email: address, clinicId: t.clinicB.id },
    });

    // Once the first is deleted, the address is free again; restoring the first then conflicts.
    await createDb(t.sessions.admin).patient.delete({ where: { id: first.id } });
    await staff.patient.create({ data: { name: 'Second', email: address, clinicId: t.clinicA.id } });
    const restore = await createDb(t.sessions.admin, { includeDeleted: true })
      .patient.update({ where: { id: first.id }, data: { deletedAt: null } })
      .catch((e: unknown) => e);
    expect((restore as ORMError).dbErrorCode).toBe('23505');
    expect((await raw.patient.findUnique({ where: { id: first.id } }))?.deletedAt).toBeInstanceOf(Date);
  });
});
