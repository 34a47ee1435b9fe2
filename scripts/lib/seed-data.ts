import Decimal from 'decimal.js';
import { createManyChunked } from '../../src/bulk.ts';
import { createSystemDb } from '../../src/client.ts';

const CLINICS = [
  { id: 'seed-clinic-north', code: 'NORTH', name: 'Acme Clinic North' },
  { id: 'seed-clinic-south', code: 'SOUTH', name: 'Acme Clinic South' },
  { id: 'seed-clinic-harbour', code: 'HARB', name: 'Acme Harbour Dental' },
  { id: 'seed-clinic-old-town', code: 'OLDT', name: 'Acme Old Town Aesthetics' },
];

// [id suffix, name, list price, maintenance interval in months]
const TREATMENTS: [string, string, string, number | null][] = [
  ['cleaning', 'Dental cleaning', '85.00', 6],
  ['whitening', 'Teeth whitening', '249.00', 12],
  ['filling', 'Composite filling', '139.50', null],
  ['checkup', 'Annual check-up', '60.00', 12],
  ['root-canal', 'Root canal treatment', '890.00', null],
  ['crown', 'Ceramic crown', '1150.00', 120],
  ['implant', 'Dental implant', '2400.00', null],
  ['aligners', 'Clear aligners', '3900.00', 24],
  ['botox', 'Botulinum toxin (forehead)', '320.00', 4],
  ['filler', 'Hyaluronic lip filler', '410.00', 9],
  ['peel', 'Chemical peel', '145.00', 3],
  ['laser', 'Laser hair removal (session)', '99.90', 2],
];

// [clinic, treatment suffix, price override or null for the list price]
const LINKS: [string, string, string | null][] = [
  ['seed-clinic-north', 'cleaning', null],
  ['seed-clinic-north', 'whitening', '229.00'],
  ['seed-clinic-north', 'checkup', null],
  ['seed-clinic-north', 'filling', null],
  ['seed-clinic-north', 'root-canal', '850.00'],
  ['seed-clinic-south', 'cleaning', '79.90'],
  ['seed-clinic-south', 'filling', null],
  ['seed-clinic-south', 'crown', null],
  ['seed-clinic-south', 'implant', '2250.00'],
  ['seed-clinic-harbour', 'whitening', null],
  ['seed-clinic-harbour', 'checkup', '55.00'],
  ['seed-clinic-harbour', 'aligners', null],
  ['seed-clinic-old-town', 'botox', null],
  ['seed-clinic-old-town', 'filler', '395.00'],
  ['seed-clinic-old-town', 'peel', null],
  ['seed-clinic-old-town', 'laser', '89.00'],
];

/** Staff the demo signs tokens for (scripts/demo.ts): [user id, clinic, clinic role]. */
export const DEMO_STAFF = { user: 'demo-user', support: 'demo-support', admin: 'demo-admin' } as const;
const MEMBERSHIPS: [string, string, 'STAFF' | 'VIEWER'][] = [
  [DEMO_STAFF.user, 'seed-clinic-north', 'STAFF'],
  [DEMO_STAFF.user, 'seed-clinic-south', 'VIEWER'],
  [DEMO_STAFF.support, 'seed-clinic-north', 'STAFF'],
  ['demo-harbour-staff', 'seed-clinic-harbour', 'STAFF'],
];

// [id suffix, clinic, name, email, date of birth]
const PATIENTS: [string, string, string, string, string | null][] = [
  ['ada', 'seed-clinic-north', 'Ada Lovelace', 'ada@example.com', '1985-12-10'],
  ['alan', 'seed-clinic-north', 'Alan Turing', 'alan@example.com', '1982-06-23'],
  ['grace', 'seed-clinic-south', 'Grace Hopper', 'grace@example.com', null],
  ['katherine', 'seed-clinic-harbour', 'Katherine Johnson', 'katherine@example.com', '1988-08-26'],
  ['edsger', 'seed-clinic-old-town', 'Edsger Dijkstra', 'edsger@example.com', '1980-05-11'],
];

export const SEED_COUNTS = {
  clinics: CLINICS.length,
  treatments: TREATMENTS.length,
  links: LINKS.length,
  memberships: MEMBERSHIPS.length,
  patients: PATIENTS.length,
} as const;

/**
 * Writes deterministic development data through `createSystemDb('seed')`, so
 * every row it writes is audited as `system:seed`. Idempotent: every row has a
 * fixed id or unique key and is upserted in one transaction, so running it
 * again leaves exactly the same rows (and restores edited or deleted ones).
 *
 * `url` must be the package's DATABASE_URL (openTargetDatabase sets it).
 */
export async function seedDatabase(url: string, options: { extraClinics?: number } = {}): Promise<void> {
  if (process.env.DATABASE_URL !== url)
    throw new Error('seedDatabase(url): DATABASE_URL must point at the same database');
  // Deleted seed patients are visible to it, so a rerun restores them instead of colliding on their ids.
  const db = createSystemDb('seed', { includeDeleted: true });
  if (options.extraClinics) {
    // Volume for local performance work; codes are fixed, so reruns add nothing.
    const rows = Array.from({ length: options.extraClinics }, (_, i) => ({
      name: `Synthetic clinic ${String(i).padStart(6, '0')}`,
      code: `SYN-${i}`,
    }));
    await createManyChunked(db, 'clinic', rows, { skipDuplicates: true });
  }
  await db.$transaction(async (tx) => {
    for (const { id, ...c } of CLINICS) await tx.clinic.upsert({ where: { id }, create: { id, ...c }, update: c });
    for (const [suffix, name, price, maintenanceIntervalMonths] of TREATMENTS) {
      const id = `seed-treatment-${suffix}`;
      const data = { name, price: new Decimal(price), maintenanceIntervalMonths, description: null };
      await tx.treatment.upsert({ where: { id }, create: { id, ...data }, update: data });
    }
    for (const [clinicId, suffix, override] of LINKS) {
      const treatmentId = `seed-treatment-${suffix}`;
      const priceOverride = override === null ? null : new Decimal(override);
      await tx.treatmentsByClinic.upsert({
        where: { clinicId_treatmentId: { clinicId, treatmentId } },
        create: { clinicId, treatmentId, priceOverride, notes: null },
        update: { priceOverride, notes: null },
      });
    }
    for (const [userId, clinicId, role] of MEMBERSHIPS) {
      await tx.clinicMembership.upsert({
        where: { userId_clinicId: { userId, clinicId } },
        create: { userId, clinicId, role },
        update: { role },
      });
    }
    for (const [suffix, clinicId, name, email, birth] of PATIENTS) {
      const id = `seed-patient-${suffix}`;
      const dateOfBirth = birth === null ? null : new Date(`${birth}T00:00:00.000Z`);
      const data = { clinicId, name, email, phone: null, dateOfBirth, deletedAt: null };
      await tx.patient.upsert({ where: { id }, create: { id, ...data }, update: data });
    }
  });
}
