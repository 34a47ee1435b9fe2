/**
 * explain(): every rule of the model with its source text and its value for
 * the row and session, the verdict per operation and the rule that decided it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/index.ts';
import { openUnrestrictedDb } from '../support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from '../support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

describe('explain', () => {
  it('names every Patient rule with its source text', async () => {
    const e = await explain(t.sessions.staffA, 'Patient', 'read', { id: t.patientA.id });
    expect(e.rules.map((r) => r.text)).toEqual([
      "@@allow('all', auth().role == 'ADMIN')",
      "@@allow('read', (auth().role == 'USER' || auth().role == 'SUPPORT') && auth().memberships?[clinicId == this.clinicId])",
      "@@allow('create,update', auth().role == 'USER' && auth().memberships?[clinicId == this.clinicId && role == 'STAFF'])",
      "@@allow('post-update', auth().role == 'ADMIN' || auth().memberships?[clinicId == this.clinicId && role == 'STAFF'])",
      "@@deny('read,update', deletedAt != null && auth().role != 'ADMIN')",
      "@@deny('post-update', deletedAt != null && auth().role != 'ADMIN')",
      "@@deny('create', deletedAt != null)",
    ]);
  });

  it("a member reads their clinic's patient, decided by the membership rule", async () => {
    const [row] = (await explain(t.sessions.staffA, 'Patient', 'all', { id: t.patientA.id })).rows;
    const read = row?.operations.read;
    expect(read?.allowed).toBe(true);
    expect(read?.decidedBy).toMatchObject({ by: 'rule', index: 1, kind: 'allow' });
    expect(read?.rules.map((r) => r.value)).toEqual([
      false,
      true,
      'not applicable',
      'not applicable',
      false,
      'not applicable',
      'not applicable',
    ]);
    expect(row?.operations.update).toMatchObject({ allowed: true, decidedBy: { index: 2 } });
    expect(row?.operations['post-update']).toMatchObject({ allowed: true, decidedBy: { index: 3 } });
    expect(row?.operations.delete).toMatchObject({ allowed: false, decidedBy: { by: 'no-allow' } });
  });

  it('a non-member: hidden, no allow rule holds; ADMIN: visible by the ADMIN rule', async () => {
    const [hidden] = (await explain(t.sessions.staffB, 'Patient', 'read', { id: t.patientA.id })).rows;
    expect(hidden?.operations.read).toMatchObject({ allowed: false, decidedBy: { by: 'no-allow' } });
    const [seen] = (await explain(t.sessions.admin, 'Patient', 'read', { id: t.patientA.id })).rows;
    expect(seen?.operations.read).toMatchObject({ allowed: true, decidedBy: { by: 'rule', index: 0 } });
    const [anon] = (await explain(null, 'Patient', 'read', { id: t.patientA.id })).rows;
    expect(anon?.operations.read?.rules.filter((r) => r.value === true)).toEqual([]);
  });

  it('a soft-deleted row: the deny rule decides for a member, soft delete for ADMIN', async () => {
    await raw.patient.update({ where: { id: t.patientB.id }, data: { deletedAt: new Date() } });
    const [member] = (
      await explain(t.sessions.staffB, 'Patient', 'read', { id: t.patientB.id }, { includeDeleted: true })
    ).rows;
    expect(member?.operations.read).toMatchObject({
      allowed: false,
      decidedBy: { by: 'rule', kind: 'deny', index: 4 },
    });
    const [admin] = (await explain(t.sessions.admin, 'Patient', 'read', { id: t.patientB.id })).rows;
    expect(admin?.operations.read).toMatchObject({ allowed: false, decidedBy: { by: 'soft-delete' } });
    await raw.patient.update({ where: { id: t.patientB.id }, data: { deletedAt: null } });
  });

  it('matches rows by where, as the owner, up to the limit', async () => {
    const e = await explain(
      t.sessions.staffA,
      'Clinic',
      'read',
      { id: { in: [t.clinicA.id, t.clinicB.id] } },
      { limit: 1 },
    );
    expect(e.rows).toHaveLength(1);
    expect(e.truncated).toBe(true);
    expect(e.rows[0]?.operations.read).toMatchObject({
      allowed: true,
      decidedBy: { text: "@@allow('read', auth() != null)" },
    });
  });

  it('says what the outcome depends on', async () => {
    const [row] = (await explain(t.sessions.staffA, 'Patient', ['create', 'update'], { id: t.patientA.id })).rows;
    expect(row?.operations.create?.dependsOn.join('\n')).toMatch(/judged on the data being created/);
    expect(row?.operations.update?.dependsOn.join('\n')).toMatch(/memberships/);
  });
});
