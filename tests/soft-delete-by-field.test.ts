/**
 * ADMIN soft-deletes by setting `deletedAt` directly (issue 12): update,
 * updateMany, updateManyAndReturn and a nested updateMany under the clinic
 * all mark the row, audit it as a delete, and return what they wrote. Others
 * still cannot, and a refused attempt leaves the database and the audit log
 * as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

const livePatient = () =>
  raw.patient.create({ data: { name: uid('P'), email: `${uid('p')}@example.com`, clinicId: t.clinicA.id } });

async function expectTombstone(id: string) {
  const stored = await raw.patient.findUnique({ where: { id } });
  expect(stored?.deletedAt).toBeInstanceOf(Date);
  const audit = await raw.auditLog.findMany({ where: { model: 'Patient', recordId: id }, orderBy: { id: 'asc' } });
  expect(audit.map((a) => [a.action, a.actorId])).toEqual([['delete', t.sessions.admin.id]]);
  // Hidden from every read of the default client afterwards, ADMIN's included.
  await expect(createDb(t.sessions.admin).patient.findUnique({ where: { id } })).toResolveNull();
}

describe('ADMIN sets deletedAt', () => {
  const when = new Date('2026-01-02T03:04:05Z');

  it('with update, and gets the row back as written', async () => {
    const p = await livePatient();
    const result = await createDb(t.sessions.admin).patient.update({ where: { id: p.id }, data: { deletedAt: when } });
    expect(result).toMatchObject({ id: p.id, deletedAt: when });
    await expectTombstone(p.id);
  });

  it('with updateMany and updateManyAndReturn', async () => {
    const [a, b] = [await livePatient(), await livePatient()];
    const admin = createDb(t.sessions.admin);
    expect(await admin.patient.updateMany({ where: { id: a.id }, data: { deletedAt: when } })).toEqual({ count: 1 });
    const returned = await admin.patient.updateManyAndReturn({ where: { id: b.id }, data: { deletedAt: when } });
    expect(returned.map((r) => [r.id, r.deletedAt])).toEqual([[b.id, when]]);
    await expectTombstone(a.id);
    await expectTombstone(b.id);
  });

  it('nested under the clinic', async () => {
    const p = await livePatient();
    await createDb(t.sessions.admin).clinic.update({
      where: { id: t.clinicA.id },
      data: { patients: { updateMany: { where: { id: p.id }, data: { deletedAt: when } } } },
    });
    await expectTombstone(p.id);
  });

  it('and restores through includeDeleted', async () => {
    const p = await livePatient();
    await createDb(t.sessions.admin).patient.update({ where: { id: p.id }, data: { deletedAt: when } });
    const restored = await createDb(t.sessions.admin, { includeDeleted: true }).patient.update({
      where: { id: p.id },
      data: { deletedAt: null },
    });
    expect(restored.deletedAt).toBeNull();
    expect((await raw.patient.findUnique({ where: { id: p.id } }))?.deletedAt).toBeNull();
    const actions = await raw.auditLog.findMany({ where: { recordId: p.id }, orderBy: { id: 'asc' } });
    expect(actions.map((a) => a.action)).toEqual(['delete', 'restore']);
  });
});

describe('nobody else sets deletedAt', () => {
  it.each(['staffA', 'viewerA', 'supportA'] as const)('%s is refused and nothing changes', async (who) => {
    const p = await livePatient();
    const before = await snapshot(raw);
    const db = createDb(t.sessions[who]);
    const data = { deletedAt: new Date() };
    await expect(db.patient.update({ where: { id: p.id }, data })).rejects.toThrow();
    const many = db.patient.updateMany({ where: { id: p.id }, data });
    await (who === 'staffA' ? expect(many).toBeRejectedByPolicy() : expect(many).resolves.toEqual({ count: 0 }));
    expect(await snapshot(raw)).toEqual(before);
  });
});
