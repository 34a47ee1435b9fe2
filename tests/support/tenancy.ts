import type { SessionInput } from '@acme/auth';
import { loadSession } from '../../src/index.ts';
import { type UnrestrictedDb, uid } from './fixtures.ts';

/**
 * Two clinics and the staff the tenancy rules are about. Memberships are
 * rows in the database; sessions are built from them with `loadSession`,
 * the way the API builds them.
 */
export async function arrangeTenancy(raw: UnrestrictedDb) {
  const clinicA = await raw.clinic.create({ data: { name: uid('Clinic A'), code: uid('A') } });
  const clinicB = await raw.clinic.create({ data: { name: uid('Clinic B'), code: uid('B') } });
  const people = {
    staffA: { id: uid('staff-a'), role: 'USER' },
    viewerA: { id: uid('viewer-a'), role: 'USER' },
    supportA: { id: uid('support-a'), role: 'SUPPORT' },
    staffB: { id: uid('staff-b'), role: 'USER' },
    staffAB: { id: uid('staff-ab'), role: 'USER' },
    admin: { id: uid('admin'), role: 'ADMIN' },
  } as const satisfies Record<string, SessionInput>;
  await raw.clinicMembership.createMany({
    data: [
      { userId: people.staffA.id, clinicId: clinicA.id, role: 'STAFF' },
      { userId: people.viewerA.id, clinicId: clinicA.id, role: 'VIEWER' },
      { userId: people.supportA.id, clinicId: clinicA.id, role: 'STAFF' },
      { userId: people.staffB.id, clinicId: clinicB.id, role: 'STAFF' },
      { userId: people.staffAB.id, clinicId: clinicA.id, role: 'STAFF' },
      { userId: people.staffAB.id, clinicId: clinicB.id, role: 'STAFF' },
    ],
  });
  const patientA = await raw.patient.create({
    data: { name: uid('Patient A'), email: `${uid('a')}@example.com`, clinicId: clinicA.id },
  });
  const patientB = await raw.patient.create({
    data: { name: uid('Patient B'), email: `${uid('b')}@example.com`, clinicId: clinicB.id },
  });
  const sessions = {
    staffA: await loadSession(people.staffA),
    viewerA: await loadSession(people.viewerA),
    supportA: await loadSession(people.supportA),
    staffB: await loadSession(people.staffB),
    staffAB: await loadSession(people.staffAB),
    admin: await loadSession(people.admin),
    anonymous: null,
  };
  return { clinicA, clinicB, patientA, patientB, sessions };
}

export type Tenancy = Awaited<ReturnType<typeof arrangeTenancy>>;
export type TenancySession = keyof Tenancy['sessions'];
