import { createManyChunked, createSystemDb } from '@acme/db';
import Decimal from 'decimal.js';
import { syncRows } from './sync.ts';

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

/** Staff the demo signs tokens for (packages/demo/src/demo.ts): [user id, clinic, clinic role]. */
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

const clinicRows = () => CLINICS.map((c) => ({ ...c }));
const treatmentRows = () =>
  TREATMENTS.map(([suffix, name, price, maintenanceIntervalMonths]) => ({
    id: `seed-treatment-${suffix}`,
    name,
    price: new Decimal(price),
    maintenanceIntervalMonths,
    description: null,
  }));
const linkRows = () =>
  LINKS.map(([clinicId, suffix, override]) => ({
    clinicId,
    treatmentId: `seed-treatment-${suffix}`,
    priceOverride: override === null ? null : new Decimal(override),
    notes: null,
  }));
const membershipRows = () => MEMBERSHIPS.map(([userId, clinicId, role]) => ({ userId, clinicId, role }));
const patientRows = () =>
  PATIENTS.map(([suffix, clinicId, name, email, birth]) => ({
    id: `seed-patient-${suffix}`,
    clinicId,
    name,
    email,
    phone: null,
    dateOfBirth: birth === null ? null : new Date(`${birth}T00:00:00.000Z`),
    deletedAt: null,
  }));

export interface SeedResult {
  /** Rows inserted because they were missing. */
  created: number;
  /** Rows put back to the seed's values (`reset` only). */
  restored: number;
}

/**
 * Writes deterministic development data through `createSystemDb('seed')`, so
 * every row it writes is audited as `system:seed`.
 *
 * By default it only inserts the seed rows that are missing: a row you edited
 * or deleted stays as you left it, and a run that finds everything in place
 * writes nothing (and no audit row). `reset: true` also puts every seed row
 * back to its seed values (restoring deleted patients), touching only the rows
 * that differ.
 *
 * `url` must be the package's DATABASE_URL (openTargetDatabase sets it).
 */
export async function seedDatabase(
  url: string,
  // org: organization mode (the demo with DEMO_ORGS); `url` is then that organization's database.
  options: { extraClinics?: number; reset?: boolean; org?: string } = {},
): Promise<SeedResult> {
  if (!options.org && process.env.DATABASE_URL !== url)
    throw new Error('seedDatabase(url): DATABASE_URL must point at the same database');
  // Tombstones are visible to it: a deleted seed patient is "there", not missing.
  const db = createSystemDb('seed', { includeDeleted: true, ...(options.org ? { org: options.org } : {}) });
  if (options.extraClinics) {
    // Volume for local performance work; codes are fixed, so reruns add nothing.
    const rows = Array.from({ length: options.extraClinics }, (_, i) => ({
      name: `Synthetic clinic ${String(i).padStart(6, '0')}`,
      code: `SYN-${i}`,
    }));
    await createManyChunked(db, 'clinic', rows, { skipDuplicates: true });
  }
  const reset = options.reset === true;
  return db.$transaction(async (tx) => {
    const results = [
      await syncRows(tx.clinic, clinicRows(), ['id'], reset),
      await syncRows(tx.treatment, treatmentRows(), ['id'], reset),
      await syncRows(tx.treatmentsByClinic, linkRows(), ['clinicId', 'treatmentId'], reset),
      await syncRows(tx.clinicMembership, membershipRows(), ['userId', 'clinicId'], reset),
      await syncRows(tx.patient, patientRows(), ['id'], reset),
    ];
    return {
      created: results.reduce((n, r) => n + r.created, 0),
      restored: results.reduce((n, r) => n + r.restored, 0),
    };
  });
}
