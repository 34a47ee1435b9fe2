/** Patient, membership and audit-log routers through createCaller, per role and membership. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUnrestrictedDb, snapshot, uid } from '../../../tests/support/fixtures.ts';
import { arrangeTenancy, type Tenancy, type TenancySession } from '../../../tests/support/tenancy.ts';
import { createCaller, createContext, toTRPCError } from '../src/index.ts';
import { codeOf } from './support/code-of.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});
const as = (name: TenancySession) => createCaller(createContext(t.sessions[name]));

const email = () => `${uid('r')}@example.com`;

describe('patient router', () => {
  it('a STAFF member creates, reads, updates; gets FORBIDDEN for a clinic they are not in', async () => {
    const staff = as('staffA');
    const created = await staff.patient.create({
      clinicId: t.clinicA.id,
      name: 'Grace',
      email: email(),
      dateOfBirth: '1985-03-09',
    });
    expect(created).toMatchObject({ name: 'Grace', dateOfBirth: '1985-03-09', deletedAt: null });
    expect((await staff.patient.byId({ id: created.id })).id).toBe(created.id);
    expect((await staff.patient.update({ id: created.id, data: { phone: '+41 1' } })).phone).toBe('+41 1');

    const before = await snapshot(raw);
    expect(await codeOf(staff.patient.create({ clinicId: t.clinicB.id, name: 'X', email: email() }))).toBe('FORBIDDEN');
    expect(await codeOf(staff.patient.update({ id: created.id, data: { clinicId: t.clinicB.id } }))).toBe('FORBIDDEN');
    // Only ADMIN deletes patients: refused for every id (theirs, another clinic's), so it says nothing of the row.
    expect(await codeOf(staff.patient.delete({ id: created.id }))).toBe('FORBIDDEN');
    expect(await codeOf(as('staffB').patient.delete({ id: created.id }))).toBe('FORBIDDEN');
    // An update depends on the row: another clinic's staff cannot see it, so it is not found.
    expect(await codeOf(as('staffB').patient.update({ id: created.id, data: { name: 'X' } }))).toBe('NOT_FOUND');
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a STAFF member renaming a clinic they can read gets FORBIDDEN, not NOT_FOUND; nothing is written', async () => {
    const before = await snapshot(raw);
    const err = await as('staffA')
      .clinic.update({ id: t.clinicA.id, data: { name: 'Renamed by staff' } })
      .catch((e: unknown) => e);
    expect(toTRPCError(err)).toMatchObject({ code: 'FORBIDDEN', message: 'Not allowed by access policy' });
    expect(await codeOf(as('viewerA').patient.update({ id: t.patientA.id, data: { name: 'X' } }))).toBe('FORBIDDEN');
    expect(await snapshot(raw)).toEqual(before); // the clinic's name, the patient, and no audit row
    expect((await raw.clinic.findUnique({ where: { id: t.clinicA.id } }))?.name).toBe(t.clinicA.name);
  });

  it('lists only the caller clinics; non-members get NOT_FOUND by id; anonymous UNAUTHORIZED', async () => {
    const ids = (await as('staffB').patient.list()).items.map((p) => p.clinicId);
    expect(new Set(ids)).toEqual(new Set([t.clinicB.id]));
    expect(await codeOf(as('staffB').patient.byId({ id: t.patientA.id }))).toBe('NOT_FOUND');
    expect(await codeOf(as('anonymous').patient.list())).toBe('UNAUTHORIZED');
  });

  it('rejects bad input before the database: email, future birth date, unknown fields', async () => {
    const before = await snapshot(raw);
    const base = { clinicId: t.clinicA.id, name: 'Bad' };
    expect(await codeOf(as('staffA').patient.create({ ...base, email: 'not-an-email' }))).toBe('BAD_REQUEST');
    expect(await codeOf(as('staffA').patient.create({ ...base, email: email(), dateOfBirth: '2999-01-01' }))).toBe(
      'BAD_REQUEST',
    );
    expect(await codeOf(as('staffA').patient.create({ ...base, email: email(), deletedAt: 'now' } as never))).toBe(
      'BAD_REQUEST',
    );
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a duplicate live email in the clinic is CONFLICT', async () => {
    expect(
      await codeOf(as('staffA').patient.create({ clinicId: t.clinicA.id, name: 'Dup', email: t.patientA.email })),
    ).toBe('CONFLICT');
  });

  it('ADMIN deletes, lists deleted and restores; others see no deleted rows and cannot restore', async () => {
    const p = await as('staffA').patient.create({ clinicId: t.clinicA.id, name: 'Temp', email: email() });
    const deleted = await as('admin').patient.delete({ id: p.id });
    expect(deleted.deletedAt).not.toBeNull();
    expect((await as('admin').patient.listDeleted({ limit: 100 })).items.map((x) => x.id)).toContain(p.id);
    expect((await as('staffA').patient.listDeleted({ limit: 100 })).items).toEqual([]);
    expect(await codeOf(as('staffA').patient.restore({ id: p.id }))).toBe('NOT_FOUND');
    expect((await as('admin').patient.restore({ id: p.id })).deletedAt).toBeNull();
    expect(await codeOf(as('admin').patient.restore({ id: p.id }))).toBe('NOT_FOUND');
  });
});

describe('membership router', () => {
  it('ADMIN manages memberships; members see their own; others are FORBIDDEN', async () => {
    const userId = uid('hire');
    const m = await as('admin').membership.create({ userId, clinicId: t.clinicB.id });
    expect(m.role).toBe('STAFF');
    expect((await as('admin').membership.update({ id: m.id, data: { role: 'VIEWER' } })).role).toBe('VIEWER');
    expect(await as('staffA').membership.mine()).toEqual([{ clinicId: t.clinicA.id, role: 'STAFF' }]);
    expect((await as('staffA').membership.list()).map((x) => x.userId)).toEqual([t.sessions.staffA.id]);
    const before = await snapshot(raw);
    expect(await codeOf(as('staffA').membership.create({ userId: t.sessions.staffA.id, clinicId: t.clinicB.id }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(as('staffA').membership.delete({ id: m.id }))).toBe('FORBIDDEN'); // only ADMIN deletes any
    expect(await snapshot(raw)).toEqual(before);
    await as('admin').membership.delete({ id: m.id });
    expect(await raw.clinicMembership.findUnique({ where: { id: m.id } })).toBeNull();
  });

  it('a duplicate membership is CONFLICT', async () => {
    expect(await codeOf(as('admin').membership.create({ userId: t.sessions.staffA.id, clinicId: t.clinicA.id }))).toBe(
      'CONFLICT',
    );
  });
});

describe('audit log router', () => {
  it('ADMIN pages through the log newest first; everyone else is FORBIDDEN', async () => {
    const total = await raw.auditLog.count();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await as('admin').auditLog.list({ limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(seen.map(BigInt)).toEqual([...seen.map(BigInt)].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    for (const name of ['staffA', 'viewerA', 'supportA'] as const) {
      expect(await codeOf(as(name).auditLog.list())).toBe('FORBIDDEN');
    }
    expect(await codeOf(as('anonymous').auditLog.list())).toBe('UNAUTHORIZED');
    const p = await as('staffA').patient.create({ clinicId: t.clinicA.id, name: 'Audited', email: email() });
    await as('staffA').patient.update({ id: p.id, data: { name: 'Audited twice' } });
    const trail = (await as('admin').auditLog.list({ model: 'Patient', recordId: p.id, limit: 5 })).items;
    expect(trail.map((a) => [a.action, a.actorId])).toEqual([
      ['update', t.sessions.staffA.id],
      ['create', t.sessions.staffA.id],
    ]);
    expect(trail[0]?.after).toMatchObject({ name: 'Audited twice' });
  });
});
