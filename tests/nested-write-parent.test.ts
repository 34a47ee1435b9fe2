/**
 * A nested write needs update permission on its parent (issue 12, ZenStack
 * v2's rule): writing a clinic's patients or links through
 * `clinic.update({ data: { patients: … } })` is an update of the clinic, which
 * only ADMIN may make. A refused call writes nothing and no audit row, with
 * row-level security on (these tests) as without.
 */

import type { SchemaDef } from '@zenstackhq/orm/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ORMError } from '../src/index.ts';
import { NestedWriteParentPlugin, parentsWithoutUpdatedAt } from '../src/nested-write-parent.ts';
import { schema } from '../zenstack/schema.ts';
import { dec, openUnrestrictedDb, snapshot, uid } from './support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from './support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());

let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});

const nestedWrites = () => ({
  'patients.updateMany': { patients: { updateMany: { where: {}, data: { name: 'x' } } } },
  'patients.create': { patients: { create: { name: 'New', email: `${uid('n')}@example.com` } } },
  'patients.deleteMany': { patients: { deleteMany: {} } },
  'treatmentsByClinic.deleteMany': { treatmentsByClinic: { deleteMany: {} } },
});

describe.each([
  ['a USER with no memberships', { id: 'nobody', role: 'USER' as const, memberships: [] }],
  ['a STAFF member of the clinic', undefined],
  ['SUPPORT', { id: 'support-x', role: 'SUPPORT' as const, memberships: [] }],
])('%s', (_name, session) => {
  it.each(Object.keys(nestedWrites()))('cannot write %s under the clinic', async (key) => {
    const s = session ?? t.sessions.staffA;
    const data = nestedWrites()[key as keyof ReturnType<typeof nestedWrites>];
    const before = await snapshot(raw);
    // Refused by the parent's update rule (not-found) or, when the nested create
    // is checked first, by the child's create rule (rejected-by-policy).
    await expect(createDb(s).clinic.update({ where: { id: t.clinicA.id }, data })).rejects.toSatisfy(
      (e) => e instanceof ORMError && (e.reason === 'not-found' || e.reason === 'rejected-by-policy'),
    );
    expect(await snapshot(raw)).toEqual(before);
  });
});

it('a STAFF member still writes the same patients directly', async () => {
  const staff = createDb(t.sessions.staffA);
  const n = await staff.patient.updateMany({ where: { clinicId: t.clinicA.id }, data: { phone: '555' } });
  expect(n.count).toBeGreaterThan(0);
  expect(await raw.patient.count({ where: { clinicId: t.clinicA.id, phone: '555' } })).toBe(n.count);
});

it('ADMIN writes through the clinic; the clinic is audited as updated', async () => {
  const treatment = await raw.treatment.create({ data: { name: uid('T'), price: dec('3.00') } });
  const last = await raw.auditLog.findFirst({ orderBy: { id: 'desc' } });
  const clinic = await createDb(t.sessions.admin).clinic.update({
    where: { id: t.clinicB.id },
    data: {
      patients: { updateMany: { where: {}, data: { name: 'Renamed' } } },
      treatmentsByClinic: { create: { treatmentId: treatment.id } },
    },
    include: { patients: true, treatmentsByClinic: true },
  });
  expect(clinic.patients.every((p) => p.name === 'Renamed')).toBe(true);
  expect(clinic.treatmentsByClinic.map((l) => l.treatmentId)).toEqual([treatment.id]);
  const stored = await raw.patient.findMany({ where: { clinicId: t.clinicB.id } });
  expect(stored.map((p) => p.name)).toEqual(stored.map(() => 'Renamed'));
  const audit = await raw.auditLog.findMany({ where: { id: { gt: Number(last?.id ?? 0) } }, orderBy: { id: 'asc' } });
  expect(audit.map((a) => `${a.model}:${a.action}`).sort()).toEqual(
    ['Clinic:update', 'TreatmentsByClinic:create', ...stored.map(() => 'Patient:update')].sort(),
  );
});

describe('a model with relations but no @updatedAt', () => {
  /** The committed schema with one model's @updatedAt field removed, as a new model might be written. */
  const without = (model: keyof typeof schema.models): SchemaDef => {
    const def = schema.models[model] as SchemaDef['models'][string];
    const fields = Object.fromEntries(Object.entries(def.fields).filter(([, f]) => !f.updatedAt));
    return { ...schema, models: { ...schema.models, [model]: { ...def, fields } } } as SchemaDef;
  };

  it('is none in the committed schema (AuditLog has no relation, every other model its updatedAt)', () => {
    expect(parentsWithoutUpdatedAt(schema)).toEqual([]);
    expect(() => new NestedWriteParentPlugin(schema)).not.toThrow();
  });

  it('is refused when the plugin is built, before any query, with what to add', () => {
    expect(parentsWithoutUpdatedAt(without('ClinicMembership'))).toEqual(['ClinicMembership']);
    expect(() => new NestedWriteParentPlugin(without('ClinicMembership'))).toThrow(
      /^ClinicMembership: a model with a relation field needs an @updatedAt field, e\.g\. `updatedAt DateTime @updatedAt`/,
    );
  });
});
