/**
 * Every create, update and delete through createDb / createSystemDb writes one
 * AuditLog row per record in the mutation's transaction; failed and denied
 * mutations write none; an audit failure aborts the mutation; the log is
 * append-only for every client and readable by ADMIN only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createSystemDb, ORMError } from '../src/index.ts';
import { dec, openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

/** Audit rows written after `since` (an AuditLog id), oldest first. */
async function auditSince(since: number) {
  return raw.auditLog.findMany({ where: { id: { gt: since } }, orderBy: { id: 'asc' } });
}
async function lastAuditId() {
  return Number((await raw.auditLog.aggregate({ _max: { id: true } }))._max.id ?? 0);
}
const email = () => `${uid('p')}@example.com`;

describe('what is recorded', () => {
  it('create, update and (soft) delete each write one row with actor, action and changed fields', async () => {
    const since = await lastAuditId();
    const staff = createDb(t.sessions.staffA);
    const created = await staff.patient.create({ data: { name: 'Ada', email: email(), clinicId: t.clinicA.id } });
    await staff.patient.update({ where: { id: created.id }, data: { name: 'Ada L.' } });
    await createDb(t.sessions.admin).patient.delete({ where: { id: created.id } });

    const rows = await auditSince(since);
    expect(rows.map((r) => [r.actorId, r.actorRole, r.model, r.action, r.recordId])).toEqual([
      [t.sessions.staffA.id, 'USER', 'Patient', 'create', created.id],
      [t.sessions.staffA.id, 'USER', 'Patient', 'update', created.id],
      [t.sessions.admin.id, 'ADMIN', 'Patient', 'delete', created.id],
    ]);
    const [create, update, remove] = rows;
    expect(create?.before).toBeNull();
    expect(create?.after).toMatchObject({ id: created.id, name: 'Ada', clinicId: t.clinicA.id, deletedAt: null });
    expect(update?.before).toMatchObject({ name: 'Ada' });
    expect(update?.after).toMatchObject({ name: 'Ada L.' });
    expect(Object.keys(update?.after as object).sort()).toEqual(['name', 'updatedAt']);
    expect(remove?.before).toEqual({ deletedAt: null });
    expect(remove?.after).toEqual({ deletedAt: expect.any(String) });
    expect(rows.every((r) => r.occurredAt instanceof Date)).toBe(true);
  });

  it('a hard delete records the whole row as it was', async () => {
    const admin = createDb(t.sessions.admin);
    const treatment = await admin.treatment.create({ data: { name: uid('T'), price: dec('10.00') } });
    const since = await lastAuditId();
    await admin.treatment.delete({ where: { id: treatment.id } });
    const [row, ...rest] = await auditSince(since);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({ model: 'Treatment', action: 'delete', recordId: treatment.id, after: null });
    expect(row?.before).toMatchObject({ id: treatment.id, name: treatment.name, price: '10.00' });
  });

  it('nested writes write one row per record, in one transaction', async () => {
    const since = await lastAuditId();
    const clinic = await createDb(t.sessions.admin).clinic.create({
      data: {
        name: uid('Nested'),
        code: uid('N'),
        patients: {
          create: [
            { name: 'One', email: email() },
            { name: 'Two', email: email() },
          ],
        },
        memberships: { create: { userId: uid('u') } },
      },
      include: { patients: true },
    });
    const rows = await auditSince(since);
    expect(rows.map((r) => `${r.model}:${r.action}`).sort()).toEqual([
      'Clinic:create',
      'ClinicMembership:create',
      'Patient:create',
      'Patient:create',
    ]);
    expect(new Set(rows.map((r) => r.txId)).size).toBe(1);
    expect(
      rows
        .filter((r) => r.model === 'Patient')
        .map((r) => r.recordId)
        .sort(),
    ).toEqual(clinic.patients.map((p) => p.id).sort());
  });

  it('createMany and updateMany write one row per record', async () => {
    const staff = createDb(t.sessions.staffA);
    const since = await lastAuditId();
    const { count } = await staff.patient.createMany({
      data: [1, 2, 3].map((n) => ({ name: `Bulk ${n}`, email: email(), clinicId: t.clinicA.id })),
    });
    const updated = await staff.patient.updateMany({ where: { name: { startsWith: 'Bulk ' } }, data: { phone: '1' } });
    const rows = await auditSince(since);
    expect(count).toBe(3);
    expect(rows.filter((r) => r.action === 'create')).toHaveLength(3);
    expect(rows.filter((r) => r.action === 'update')).toHaveLength(updated.count);
  });

  it('system writes are audited as system:<reason> with role SYSTEM', async () => {
    const since = await lastAuditId();
    await createSystemDb('nightly-import').patient.update({ where: { id: t.patientB.id }, data: { phone: '+1 555' } });
    expect(await auditSince(since)).toMatchObject([
      {
        actorId: 'system:nightly-import',
        actorRole: 'SYSTEM',
        model: 'Patient',
        action: 'update',
        recordId: t.patientB.id,
      },
    ]);
  });
});

describe('what is not recorded', () => {
  it('a denied mutation writes no audit row and changes nothing', async () => {
    const before = await snapshot(raw);
    const viewer = createDb(t.sessions.viewerA);
    await expect(
      viewer.patient.create({ data: { name: 'X', email: email(), clinicId: t.clinicA.id } }),
    ).toBeRejectedByPolicy();
    await expect(viewer.patient.update({ where: { id: t.patientA.id }, data: { name: 'X' } })).rejects.toBeInstanceOf(
      ORMError,
    );
    await expect(createDb(t.sessions.staffA).patient.delete({ where: { id: t.patientA.id } })).rejects.toBeInstanceOf(
      ORMError,
    );
    await expect(
      createDb(t.sessions.staffA).patient.update({ where: { id: t.patientA.id }, data: { clinicId: t.clinicB.id } }),
    ).toBeRejectedByPolicy();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a failed mutation (constraint violation) writes no audit row', async () => {
    const before = await snapshot(raw);
    const duplicate = { name: 'Dup', email: t.patientA.email.toUpperCase(), clinicId: t.clinicA.id };
    await expect(createDb(t.sessions.staffA).patient.create({ data: duplicate })).toBeRejectedByDb();
    expect(await snapshot(raw)).toEqual(before);
  });

  it('a $transaction that throws after writing leaves neither the rows nor their audit', async () => {
    const before = await snapshot(raw);
    await expect(
      createDb(t.sessions.staffA).$transaction(async (tx) => {
        await tx.patient.create({ data: { name: 'Rolled back', email: email(), clinicId: t.clinicA.id } });
        await tx.patient.update({ where: { id: t.patientA.id }, data: { phone: '0' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await snapshot(raw)).toEqual(before);
  });

  it('an audit failure aborts the mutation', async () => {
    // Make every audit insert fail, as a full disk or a broken column would.
    await raw.$executeRawUnsafe(`
      CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit unavailable'; END $$`);
    await raw.$executeRawUnsafe(
      'CREATE TRIGGER test_refuse_audit BEFORE INSERT ON "AuditLog" FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()',
    );
    try {
      const before = await snapshot(raw);
      await expect(
        createDb(t.sessions.staffA).patient.create({
          data: { name: 'Unaudited', email: email(), clinicId: t.clinicA.id },
        }),
      ).toBeRejectedByDb();
      await expect(
        createDb(t.sessions.admin).clinic.update({ where: { id: t.clinicA.id }, data: { name: 'Unaudited' } }),
      ).toBeRejectedByDb();
      await expect(createSystemDb('job').patient.delete({ where: { id: t.patientA.id } })).toBeRejectedByDb();
      expect(await snapshot(raw)).toEqual(before);
    } finally {
      await raw.$executeRawUnsafe('DROP TRIGGER test_refuse_audit ON "AuditLog"');
      await raw.$executeRawUnsafe('DROP FUNCTION test_refuse_audit()');
    }
  });
});

describe('the log itself', () => {
  it('is readable by ADMIN only', async () => {
    const total = await raw.auditLog.count();
    expect(total).toBeGreaterThan(0);
    expect(await createDb(t.sessions.admin).auditLog.count()).toBe(total);
    for (const name of ['staffA', 'viewerA', 'supportA', 'staffB', 'anonymous'] as const) {
      expect(await createDb(t.sessions[name]).auditLog.findMany()).toEqual([]);
      expect(await createDb(t.sessions[name]).auditLog.count()).toBe(0);
    }
  });

  it('cannot be written, changed or deleted through any client', async () => {
    const before = await snapshot(raw);
    const [first] = before.audit;
    if (!first) throw new Error('expected audit rows');
    for (const db of [createDb(t.sessions.admin), createSystemDb('cleanup')]) {
      const forged = { actorId: 'x', actorRole: 'ADMIN', model: 'Clinic', action: 'create', recordId: 'x' };
      await expect(db.auditLog.create({ data: forged })).toBeRejectedByPolicy();
      await expect(db.auditLog.update({ where: { id: first.id }, data: { actorId: 'x' } })).rejects.toBeInstanceOf(
        ORMError,
      );
      // A session's denied updateMany answers { count: 0 } (ZenStack's usual answer); the system client is refused.
      const many = await db.auditLog.updateMany({ data: { actorId: 'x' } }).catch((e: unknown) => e);
      expect(many instanceof ORMError || (many as { count: number }).count === 0).toBe(true);
      await expect(db.auditLog.delete({ where: { id: first.id } })).rejects.toBeInstanceOf(ORMError);
      const gone = await db.auditLog.deleteMany({}).catch((e: unknown) => e);
      expect(gone instanceof ORMError || (gone as { count: number }).count === 0).toBe(true);
    }
    expect(await snapshot(raw)).toEqual(before);
  });

  it('refuses UPDATE, DELETE and TRUNCATE even from a connection without the ORM (SQLSTATE 42501)', async () => {
    const before = await snapshot(raw);
    for (const statement of [
      `UPDATE "AuditLog" SET "actorId" = 'x'`,
      'DELETE FROM "AuditLog"',
      'TRUNCATE "AuditLog"',
    ]) {
      const error = await raw.$executeRawUnsafe(statement).catch((e: unknown) => e);
      expect(error, statement).toBeInstanceOf(ORMError);
      expect((error as ORMError).dbErrorCode, statement).toBe('42501');
    }
    expect(await snapshot(raw)).toEqual(before);
  });
});
