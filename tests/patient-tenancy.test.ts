/**
 * Patient rules, per role and membership:
 *
 * | session                    | read A | create/update in A | move A -> B | delete |
 * | ADMIN (no memberships)     | yes    | yes                | yes         | yes    |
 * | USER, STAFF member of A    | yes    | yes                | no          | no     |
 * | USER, STAFF member of A, B | yes    | yes                | yes         | no     |
 * | USER, VIEWER member of A   | yes    | no                 | no          | no     |
 * | SUPPORT, member of A       | yes    | no                 | no          | no     |
 * | USER, member of B only     | no     | no                 | no          | no     |
 * | anonymous                  | no     | no                 | no          | no     |
 *
 * Reads are checked through every path (find*, count, aggregate, groupBy,
 * include and _count from Clinic); after every denied write the database is
 * read back through a client without rules and must be unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ORMError } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy, type TenancySession } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

const db = (name: TenancySession) => createDb(t.sessions[name]);

/** A denied write either fails the policy or finds nothing it may touch; both change nothing. */
async function expectDenied(write: Promise<unknown>) {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ORMError);
  expect(['rejected-by-policy', 'not-found']).toContain((error as ORMError).reason);
}

async function expectUnchanged(write: () => Promise<unknown>) {
  const before = await snapshot(raw);
  await expectDenied(write());
  expect(await snapshot(raw)).toEqual(before);
}

describe('reading patients', () => {
  const canReadA: TenancySession[] = ['admin', 'staffA', 'staffAB', 'viewerA', 'supportA'];
  const cannotReadA: TenancySession[] = ['staffB', 'anonymous'];

  it.each(canReadA)('%s reads clinic A patients through every path', async (name) => {
    const where = { clinicId: t.clinicA.id };
    await expect(db(name).patient.findUnique({ where: { id: t.patientA.id } })).resolves.toMatchObject({
      id: t.patientA.id,
    });
    expect((await db(name).patient.findMany({ where })).map((p) => p.id)).toEqual([t.patientA.id]);
    expect(await db(name).patient.count({ where })).toBe(1);
    expect((await db(name).patient.aggregate({ where, _count: true }))._count).toBe(1);
    const clinic = await db(name).clinic.findUnique({
      where: { id: t.clinicA.id },
      include: { patients: true, _count: { select: { patients: true } } },
    });
    expect(clinic?.patients.map((p) => p.id)).toEqual([t.patientA.id]);
    expect(clinic?._count.patients).toBe(1);
  });

  it.each(cannotReadA)('%s sees no clinic A patient through any path', async (name) => {
    const where = { clinicId: t.clinicA.id };
    await expect(db(name).patient.findUnique({ where: { id: t.patientA.id } })).toResolveNull();
    await expect(db(name).patient.findFirst({ where })).toResolveNull();
    expect(await db(name).patient.findMany({ where })).toEqual([]);
    expect(await db(name).patient.count({ where })).toBe(0);
    expect((await db(name).patient.aggregate({ where, _count: true }))._count).toBe(0);
    expect(await db(name).patient.groupBy({ by: ['clinicId'], where, _count: true })).toEqual([]);
    if (name === 'anonymous') return; // anonymous cannot read clinics at all
    const clinic = await db(name).clinic.findUnique({
      where: { id: t.clinicA.id },
      include: { patients: true, _count: { select: { patients: true } } },
    });
    expect(clinic?.patients).toEqual([]);
    expect(clinic?._count.patients).toBe(0);
  });

  it('a member of B only sees B, and everyone-but-admin sees only their clinics', async () => {
    expect((await db('staffB').patient.findMany()).map((p) => p.id)).toEqual([t.patientB.id]);
    expect((await db('staffA').patient.findMany()).map((p) => p.clinicId)).not.toContain(t.clinicB.id);
    expect((await db('admin').patient.findMany()).length).toBeGreaterThanOrEqual(2);
  });
});

describe('writing patients', () => {
  const newPatient = (clinicId: string) => ({ name: uid('New'), email: `${uid('n')}@example.com`, clinicId });

  it.each(['admin', 'staffA', 'staffAB'] as const)('%s creates and updates in clinic A', async (name) => {
    const created = await db(name).patient.create({ data: newPatient(t.clinicA.id) });
    const updated = await db(name).patient.update({ where: { id: created.id }, data: { phone: '+41 44 000 00 00' } });
    expect(updated.phone).toBe('+41 44 000 00 00');
    expect(await raw.patient.findUnique({ where: { id: created.id } })).toMatchObject({ phone: '+41 44 000 00 00' });
  });

  it.each(['viewerA', 'supportA', 'staffB', 'anonymous'] as const)(
    '%s cannot create, update or delete in clinic A',
    async (name) => {
      await expectUnchanged(() => db(name).patient.create({ data: newPatient(t.clinicA.id) }));
      await expectUnchanged(() => db(name).patient.createMany({ data: [newPatient(t.clinicA.id)] }));
      await expectUnchanged(() => db(name).patient.update({ where: { id: t.patientA.id }, data: { name: 'Renamed' } }));
      await expectUnchanged(() => db(name).patient.delete({ where: { id: t.patientA.id } }));
      const before = await snapshot(raw);
      expect((await db(name).patient.updateMany({ data: { name: 'Renamed' } })).count).toBe(
        name === 'staffB' ? 1 : 0, // staffB may update their own clinic's patient, never A's
      );
      expect((await snapshot(raw)).patients.find((p) => p.id === t.patientA.id)).toEqual(
        before.patients.find((p) => p.id === t.patientA.id),
      );
    },
  );

  it('a USER member cannot delete, even their own clinic patient', async () => {
    const patient = await db('staffA').patient.create({ data: newPatient(t.clinicA.id) });
    await expectUnchanged(() => db('staffA').patient.delete({ where: { id: patient.id } }));
    const before = await snapshot(raw);
    expect((await db('staffA').patient.deleteMany({ where: { id: patient.id } })).count).toBe(0);
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a member of A only cannot move a patient to clinic B (post-update), and the row and audit stay', async () => {
    const patient = await db('staffA').patient.create({ data: newPatient(t.clinicA.id) });
    await expectUnchanged(() =>
      db('staffA').patient.update({ where: { id: patient.id }, data: { clinicId: t.clinicB.id } }),
    );
    await expectUnchanged(() =>
      db('staffA').patient.update({ where: { id: patient.id }, data: { clinic: { connect: { id: t.clinicB.id } } } }),
    );
    await expectUnchanged(() => db('staffA').patient.create({ data: newPatient(t.clinicB.id) }));
  });

  it('a member of both clinics may move a patient between them', async () => {
    const patient = await db('staffAB').patient.create({ data: newPatient(t.clinicA.id) });
    await db('staffAB').patient.update({ where: { id: patient.id }, data: { clinicId: t.clinicB.id } });
    expect((await raw.patient.findUnique({ where: { id: patient.id } }))?.clinicId).toBe(t.clinicB.id);
  });

  it('memberships in the session are what count: a removed member loses access on the next session', async () => {
    const { loadSession } = await import('../src/index.ts');
    const person = { id: uid('leaver'), role: 'USER' } as const;
    const membership = await raw.clinicMembership.create({ data: { userId: person.id, clinicId: t.clinicA.id } });
    const visible = await raw.patient.count({ where: { clinicId: t.clinicA.id, deletedAt: null } });
    expect(await createDb(await loadSession(person)).patient.count({ where: { clinicId: t.clinicA.id } })).toBe(
      visible,
    );
    expect(visible).toBeGreaterThan(0);
    await createDb(t.sessions.admin).clinicMembership.delete({ where: { id: membership.id } });
    expect(await createDb(await loadSession(person)).patient.count({ where: { clinicId: t.clinicA.id } })).toBe(0);
  });
});
