/**
 * What explain() says a nested write depends on, checked against what
 * createDb does: a write through Clinic.update({ data: { patients } }) is
 * judged by Patient's rules and needs Clinic's update rule too (the strict
 * rule of src/nested-write-parent.ts), whether or not the clinic changes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, explain } from '../../src/index.ts';
import { openUnrestrictedDb, uid } from '../support/fixtures.ts';
import { arrangeTenancy, type Tenancy } from '../support/tenancy.ts';

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
let t: Tenancy;
beforeAll(async () => {
  t = await arrangeTenancy(raw);
});
const newPatient = () => ({ name: uid('Nested'), email: `${uid('n')}@example.com` });

it('says a nested create needs update on the parent Clinic', async () => {
  const [row] = (await explain(t.sessions.staffA, 'Patient', 'create', { id: t.patientA.id })).rows;
  expect(row?.operations.create?.dependsOn).toContain(
    "a nested create through Clinic.update({ data: { patients: { create: … } } }) is judged by Patient's create rules and needs update on the parent Clinic",
  );
  expect(row?.operations.create?.allowed).toBe(true);
});

it('createDb agrees: a STAFF member may not create through the clinic, renaming it or not; ADMIN may', async () => {
  const db = createDb(t.sessions.staffA);
  const only = newPatient();
  await expect(
    db.clinic.update({ where: { id: t.clinicA.id }, data: { patients: { create: only } } }),
  ).toBeRejectedByPolicy(); // the clinic it can read, but not update (src/nested-write-parent.ts)
  expect(await raw.patient.count({ where: { name: only.name } })).toBe(0);
  const byAdmin = newPatient();
  await createDb(t.sessions.admin).clinic.update({
    where: { id: t.clinicA.id },
    data: { patients: { create: byAdmin } },
  });
  expect(await raw.patient.count({ where: { name: byAdmin.name, clinicId: t.clinicA.id } })).toBe(1);

  const renaming = newPatient();
  await expect(
    db.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'Renamed', patients: { create: renaming } } }),
  ).toBeRejectedByPolicy();
  expect(await raw.patient.count({ where: { name: renaming.name } })).toBe(0);
  expect((await raw.clinic.findUnique({ where: { id: t.clinicA.id } }))?.name).toBe(t.clinicA.name);

  // Patient's own rule still decides: a clinic where the member is not STAFF.
  const elsewhere = newPatient();
  await expect(
    db.clinic.update({ where: { id: t.clinicB.id }, data: { patients: { create: elsewhere } } }),
  ).toBeRejectedByPolicy();
  expect(await raw.patient.count({ where: { name: elsewhere.name } })).toBe(0);
});
