/**
 * A rejected-by-policy error says which rules the operation needed, as data
 * (`policyRejectionDetails(err)`) and in its message, judged on the session
 * alone: nothing of a row the session cannot read.
 */
import { ORMError } from '@zenstackhq/orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, policyRejectionDetails } from '../../src/index.ts';
import { dec, openUnrestrictedDb, uid } from '../support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from '../support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

async function rejection(p: Promise<unknown>): Promise<ORMError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ORMError);
  expect((err as ORMError).reason).toBe('rejected-by-policy');
  return err as ORMError;
}

describe('policy errors', () => {
  it("Clinic create as USER: needs auth().role == 'ADMIN'; the session's role is USER", async () => {
    const err = await rejection(
      createDb({ id: uid('u'), role: 'USER' }).clinic.create({ data: { name: 'X', code: uid('X') } }),
    );
    expect(err.message).toBe("Clinic create needs auth().role == 'ADMIN'; the session's role is USER");
    expect(policyRejectionDetails(err)).toMatchObject({
      model: 'Clinic',
      operation: 'create',
      rules: [{ kind: 'allow', text: "auth().role == 'ADMIN'", value: false }],
      session: { anonymous: false, role: 'USER' },
    });
    expect(await raw.clinic.count({ where: { name: 'X' } })).toBe(0);
  });

  it('anonymous create: says the session is anonymous', async () => {
    const err = await rejection(createDb(null).treatment.createMany({ data: [{ name: 'T', price: dec('1.00') }] }));
    expect(err.message).toMatch(/^Treatment create needs auth\(\)\.role == 'ADMIN'; the session is anonymous$/);
  });

  it('a patient moved out of reach: the post-update rule, row-dependent, without the row', async () => {
    const err = await rejection(
      createDb(t.sessions.staffA).patient.update({ where: { id: t.patientA.id }, data: { clinicId: t.clinicB.id } }),
    );
    const details = policyRejectionDetails(err);
    expect(details?.operation).toBe('post-update');
    expect(details?.rules).toContainEqual({
      kind: 'allow',
      text: "auth().role == 'ADMIN' || auth().memberships?[clinicId == this.clinicId && role == 'STAFF']",
      value: 'depends on the row',
    });
    expect(err.message).toMatch(/^Patient post-update needs .* \(depends on the row\)/);
    expect(err.message).toMatch(/the session's role is USER, it has 1 clinic membership$/);
    // Nothing of the row: neither its clinic nor its name or email.
    for (const secret of [t.clinicB.id, t.clinicA.id, t.patientA.name, t.patientA.email]) {
      expect(err.message).not.toContain(secret);
      expect(JSON.stringify(details)).not.toContain(secret);
    }
    expect((await raw.patient.findUnique({ where: { id: t.patientA.id } }))?.clinicId).toBe(t.clinicA.id);
  });

  it('a member creating a patient in a clinic of theirs as VIEWER: the create rules, row-dependent', async () => {
    const err = await rejection(
      createDb(t.sessions.viewerA).patient.create({
        data: { name: 'P', email: `${uid('v')}@example.com`, clinicId: t.clinicA.id },
      }),
    );
    expect(err.message).toContain(
      "Patient create needs auth().role == 'ADMIN' or auth().role == 'USER' && auth().memberships?[",
    );
    expect(err.message).toContain('and none of deletedAt != null (depends on the row)');
  });
});
