/**
 * createSystemDb(reason) is the only exported way around the rules, and it
 * keeps the audit and the guard; loadSession builds sessions from the
 * database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pkg from '../src/index.ts';
import { createDb, createSystemDb, InvalidSessionError, loadSession, PolicyBypassError } from '../src/index.ts';
import { openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

describe('createSystemDb', () => {
  it('reads and writes across clinics without a session', async () => {
    const sys = createSystemDb('nightly-report');
    const ids = (await sys.patient.findMany()).map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining([t.patientA.id, t.patientB.id]));
    const created = await sys.patient.create({
      data: { name: 'Imported', email: `${uid('i')}@x.io`, clinicId: t.clinicB.id },
    });
    expect(await raw.auditLog.findFirst({ where: { recordId: created.id } })).toMatchObject({
      actorId: 'system:nightly-report',
      actorRole: 'SYSTEM',
      action: 'create',
    });
  });

  it('still hides soft-deleted rows unless asked, and still only soft-deletes', async () => {
    const patient = await raw.patient.create({
      data: { name: 'Gone', email: `${uid('g')}@x.io`, clinicId: t.clinicA.id },
    });
    await createSystemDb('gdpr-erasure').patient.delete({ where: { id: patient.id } });
    expect((await raw.patient.findUnique({ where: { id: patient.id } }))?.deletedAt).toBeInstanceOf(Date);
    await expect(createSystemDb('gdpr-erasure').patient.findUnique({ where: { id: patient.id } })).toResolveNull();
    await expect(
      createSystemDb('gdpr-erasure', { includeDeleted: true }).patient.findUnique({ where: { id: patient.id } }),
    ).toResolveTruthy();
  });

  it.each(['', 'Has Spaces', 'x'.repeat(64), '-leading-dash', 'semi;colon'])('refuses the reason %j', (reason) => {
    expect(() => createSystemDb(reason)).toThrow(TypeError);
  });

  it.each(['$qbRaw', '$executeRawUnsafe', '$queryRaw', '$unuse', '$unuseAll', '$use', '$setAuth', '$setOptions'])(
    'has no %s escape hatch either (it would skip the audit)',
    (member) => {
      expect(() => (createSystemDb('job') as unknown as Record<string, unknown>)[member]).toThrow(PolicyBypassError);
    },
  );

  it('is the only exported client without policies', () => {
    // A new export is a new way in: this list changes only on purpose.
    expect(Object.keys(pkg).sort()).toEqual(
      [
        'AUDIT_MODEL',
        'DbConfigError',
        'InvalidSessionError',
        'ORMError',
        'ORMErrorReason',
        'PolicyBypassError',
        'RejectedByPolicyReason',
        'SQLSTATES',
        'closeDb',
        'createDb',
        'createManyChunked',
        'createSystemDb',
        'explain',
        'findManyPaged',
        'isRetriable',
        'loadSession',
        'policyRejectionDetails',
        'minLsnOf',
        'poolStats',
        'readDbConfig',
        'redactUrl',
        'rowsPerStatement',
        'sqlStateInfo',
        // organization mode (src/orgs): errors, stats and the credentials hook; no client
        'OrgAccessError',
        'OrgForbiddenError',
        'OrgNotFoundError',
        'OrgRoutingError',
        'orgAccessErrorOf',
        'orgPoolStats',
        'setOrgCredentialsResolver',
      ].sort(),
    );
  });
});

describe('loadSession', () => {
  it('builds the memberships from the database', async () => {
    const session = await loadSession({ id: t.sessions.staffAB.id, role: 'USER' });
    expect(session.memberships).toEqual(
      [
        { clinicId: t.clinicA.id, role: 'STAFF' },
        { clinicId: t.clinicB.id, role: 'STAFF' },
      ].sort((a, b) => a.clinicId.localeCompare(b.clinicId)),
    );
    expect(await loadSession({ id: uid('nobody'), role: 'USER' })).toMatchObject({ memberships: [] });
  });

  it('refuses an invalid identity instead of loading anything', async () => {
    await expect(loadSession({ id: '', role: 'USER' })).rejects.toBeInstanceOf(InvalidSessionError);
    await expect(loadSession({ id: 'u', role: 'ROOT' as never })).rejects.toBeInstanceOf(InvalidSessionError);
  });

  it('memberships are managed by ADMIN only', async () => {
    const before = await snapshot(raw);
    for (const name of ['staffA', 'supportA', 'viewerA'] as const) {
      const db = createDb(t.sessions[name]);
      await expect(
        db.clinicMembership.create({ data: { userId: t.sessions[name].id, clinicId: t.clinicB.id } }),
      ).toBeRejectedByPolicy();
      const own = await db.clinicMembership.findFirst({ where: { userId: t.sessions[name].id } });
      expect(own).not.toBeNull();
      await expect(
        db.clinicMembership.update({ where: { id: own?.id as string }, data: { role: 'STAFF' } }),
      ).toBeRejectedByPolicy(); // their own, which they can read: refused by the rule, not "not found"
      // Others' memberships are invisible.
      expect(await db.clinicMembership.count({ where: { userId: { not: t.sessions[name].id } } })).toBe(0);
    }
    expect(await snapshot(raw)).toEqual(before);
    const created = await createDb(t.sessions.admin).clinicMembership.create({
      data: { userId: uid('new-staff'), clinicId: t.clinicB.id, role: 'VIEWER' },
    });
    expect(await raw.clinicMembership.findUnique({ where: { id: created.id } })).toMatchObject({ role: 'VIEWER' });
  });
});
