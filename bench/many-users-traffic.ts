/**
 * The traffic of bench/many-users.ts: its dataset, the sessions (one per
 * user, never repeated) and what each reads. `uniform` is issue 26's case
 * (every session a USER with one STAFF membership, each reading the first
 * page of its clinic's patients); `mixed` varies the session's template
 * (USER with 1, 2 or 3 memberships of either role, SUPPORT, ADMIN) and the
 * read (pages, order, filters, point reads, counts), so the cache meets
 * shapes it can serve, shapes it cannot, and many templates at once.
 */
import type { SessionInput } from '@acme/auth';
import type { EnhancedClient } from '@acme/db';
import type pg from 'pg';

export const PATIENTS_PER_CLINIC = 30;

/** Clinics `c1…cN`, 30 patients each, names sortable and some with a date of birth. */
export async function seedManyUsers(c: pg.ClientBase, clinics: number): Promise<void> {
  await c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt")
    SELECT 'c' || i, 'Clinic ' || i, 'C' || i, now() FROM generate_series(1, ${clinics}) i`);
  await c.query(`INSERT INTO "Patient" (id, name, email, "dateOfBirth", "clinicId", "updatedAt")
    SELECT 'p' || i, 'Patient ' || i, 'p' || i || '@example.com',
           CASE WHEN i % 4 <> 0 THEN date '1950-01-01' + (i * 37 % 20000) END,
           'c' || (1 + i % ${clinics}), now()
    FROM generate_series(1, ${clinics * PATIENTS_PER_CLINIC}) i`);
  await c.query('ANALYZE "Clinic", "Patient"');
}

export type Read = (db: EnhancedClient) => Promise<unknown>;
export interface Call {
  session: SessionInput;
  /** What the read is (pages, filters…): a bench row of its own in the mixed workload's breakdown. */
  kind: string;
  read: Read;
}

const clinic = (n: number, clinics: number) => `c${1 + (((n % clinics) + clinics) % clinics)}`;
/** A patient of clinic `cK`: patients are `p(K-1 + clinics·j)` (seedManyUsers' `1 + i % clinics`). */
const patientOf = (clinicId: string, j: number, clinics: number) =>
  `p${Number(clinicId.slice(1)) - 1 + clinics * (1 + (j % (PATIENTS_PER_CLINIC - 1)))}`;

/** Issue 26's many users: user `u` is a USER with one STAFF membership, reading a page of its clinic's patients. */
export function uniformCall(u: number, clinics: number): Call {
  const clinicId = clinic(u, clinics);
  return {
    session: { id: `user-${u}`, role: 'USER', memberships: [{ clinicId, role: 'STAFF' }] },
    kind: 'page',
    read: (db) => db.patient.findMany({ where: { clinicId }, orderBy: { name: 'asc' }, take: 20 }),
  };
}

/**
 * User `u` of the mixed traffic: 4 in 10 a USER with one membership, 2 with
 * two, 1 with three, 1 SUPPORT (one or two memberships), 1 ADMIN, 1 USER
 * with one VIEWER membership; membership roles from `u`'s bits. Its read is
 * one of nine kinds, chosen independently of its template.
 */
export function mixedCall(u: number, clinics: number): Call {
  const kind = u % 10;
  const count = kind < 4 ? 1 : kind < 6 ? 2 : kind === 6 ? 3 : kind === 7 ? 1 + ((u >> 4) % 2) : kind === 8 ? 0 : 1;
  const role = kind === 7 ? 'SUPPORT' : kind === 8 ? 'ADMIN' : 'USER';
  const memberships = Array.from({ length: count }, (_, i) => ({
    clinicId: clinic(u * 3 + i * 17, clinics),
    role: kind === 9 || ((u >> (5 + i)) & 1) === 1 ? ('VIEWER' as const) : ('STAFF' as const),
  }));
  const session: SessionInput = { id: `mixed-${u}`, role, memberships };
  const mine = memberships.map((m) => m.clinicId);
  const clinicId = mine[0] ?? clinic(u, clinics);
  const [name, read] = READS[Math.floor(u / 10) % READS.length] as (typeof READS)[number];
  return { session, kind: name, read: read(u, clinicId, mine, clinics) };
}

const ORDER = [{ name: 'asc' as const }, { id: 'asc' as const }];
const READS: [string, (u: number, clinicId: string, mine: string[], clinics: number) => Read][] = [
  ['page', (_u, c) => (db) => db.patient.findMany({ where: { clinicId: c }, orderBy: { name: 'asc' }, take: 20 })],
  ['page 2', (_u, c) => (db) => db.patient.findMany({ where: { clinicId: c }, orderBy: ORDER, skip: 20, take: 20 })],
  [
    'page desc',
    (_u, c) => (db) => db.patient.findMany({ where: { clinicId: c }, orderBy: { name: 'desc' }, take: 10 }),
  ],
  [
    'my clinics',
    (_u, c, mine) => (db) =>
      db.patient.findMany({ where: { clinicId: { in: mine.length ? mine : [c] } }, orderBy: ORDER, take: 20 }),
  ],
  [
    'born after',
    (u, c) => (db) =>
      db.patient.findMany({
        where: { clinicId: c, dateOfBirth: { gte: new Date(Date.UTC(1950 + (u % 40), 0, 1)) } },
        select: { id: true, name: true, dateOfBirth: true },
        orderBy: ORDER,
        take: 20,
      }),
  ],
  [
    'name search',
    (u, c) => (db) =>
      db.patient.findMany({ where: { clinicId: c, name: { startsWith: `Patient ${1 + (u % 9)}` } }, take: 20 }),
  ],
  ['findUnique', (u, c, _m, n) => (db) => db.patient.findUnique({ where: { id: patientOf(c, u, n) } })],
  ['count', (_u, c) => (db) => db.patient.count({ where: { clinicId: c } })],
  [
    'by email',
    (u, c, _m, n) => (db) => db.patient.findFirst({ where: { email: `${patientOf(c, u + 3, n)}@example.com` } }),
  ],
];
