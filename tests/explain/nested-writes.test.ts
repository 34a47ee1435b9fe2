/**
 * What explain() says a nested write depends on, checked against what
 * createDb does: a write through Clinic.update({ data: { patients } }) is
 * judged by Patient's rules, and needs Clinic's update rule only when the
 * same call changes the clinic itself.
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

it('says a nested create needs update on the parent Clinic only when the clinic changes too', async () => {
  const [row] = (await explain(t.sessions.staffA, 'Patient', 'create', { id: t.patientA.id })).rows;
  expect(row?.operations.create?.dependsOn).toContain(
    "a nested create through Clinic.update({ data: { patients: { create: … } } }) is judged by Patient's create rules; it also needs update on the parent Clinic when the same call changes Clinic's own fields",
  );
  expect(row?.operations.create?.allowed).toBe(true);
});

it('createDb agrees: a STAFF member creates through the clinic, but not while renaming it', async () => {
  const db = createDb(t.sessions.staffA);
  const only = newPatient();
  await db.clinic.update({ where: { id: t.clinicA.id }, data: { patients: { create: only } } });
  expect(await raw.patient.count({ where: { name: only.name, clinicId: t.clinicA.id } })).toBe(1);

  const renaming = newPatient();
  await expect(
    db.clinic.update({ where: { id: t.clinicA.id }, data: { name: 'Renamed', patients: { create: renaming } } }),
  ).toBeRejectedNotFound();
  expect(await raw.patient.count({ where: { name: renaming.name } })).toBe(0);
  expect((await raw.clinic.findUnique({ where: { id: t.clinicA.id } }))?.name).toBe(t.clinicA.name);

  // Patient's own rule still decides: a clinic where the member is not STAFF.
  const elsewhere = newPatient();
  await expect(
    db.clinic.update({ where: { id: t.clinicB.id }, data: { patients: { create: elsewhere } } }),
  ).toBeRejectedByPolicy();
  expect(await raw.patient.count({ where: { name: elsewhere.name } })).toBe(0);
});
