/**
 * The suite's model of the database: plain rows per table, the same shape the
 * oracle's rules read. Random initial data, the SQL that loads it (as the
 * owner), and a snapshot of a real database in this shape to compare with.
 * Only the columns the rules and the random writes touch are compared;
 * timestamps the database sets (createdAt, updatedAt) are not, and
 * `deletedAt` is compared as set / not set.
 */
import type pg from 'pg';
import type { Rng } from './rng.ts';
import type { Membership, Model, Row, Session } from './rules-oracle.ts';

export interface AuditRow {
  actorId: string;
  actorRole: string;
  model: string;
  action: string;
  recordId: string;
}
export type Tables = Record<Exclude<Model, 'auditLog'>, Row[]>;
export interface World extends Tables {
  auditLog: AuditRow[];
}

export const TABLE: Record<Model, string> = {
  clinic: 'Clinic',
  treatment: 'Treatment',
  treatmentsByClinic: 'TreatmentsByClinic',
  patient: 'Patient',
  clinicMembership: 'ClinicMembership',
  auditLog: 'AuditLog',
};
/** Compared columns per model, in this order. */
export const COLUMNS: Record<Exclude<Model, 'auditLog'>, string[]> = {
  clinic: ['id', 'name', 'code'],
  treatment: ['id', 'name', 'description', 'price', 'maintenanceIntervalMonths'],
  treatmentsByClinic: ['id', 'clinicId', 'treatmentId', 'priceOverride', 'notes'],
  patient: ['id', 'name', 'email', 'phone', 'clinicId', 'deletedAt'],
  clinicMembership: ['id', 'userId', 'clinicId', 'role'],
};
export const AUDIT_COLUMNS = ['actorId', 'actorRole', 'model', 'action', 'recordId'] as const;

/** Lowercase letters only: PostgreSQL's collation and JavaScript agree on their order. */
export const WORDS = ['amber', 'basil', 'cedar', 'delta', 'ember', 'fern', 'grove', 'heath'];
export const USERS = ['u1', 'u2', 'u3', 'u4'];

export const cloneWorld = (w: World): World => ({
  clinic: w.clinic.map((r) => ({ ...r })),
  treatment: w.treatment.map((r) => ({ ...r })),
  treatmentsByClinic: w.treatmentsByClinic.map((r) => ({ ...r })),
  patient: w.patient.map((r) => ({ ...r })),
  clinicMembership: w.clinicMembership.map((r) => ({ ...r })),
  auditLog: w.auditLog.map((r) => ({ ...r })),
});

export const money = (rng: Rng) => `${rng.int(0, 500)}.${String(rng.int(0, 99)).padStart(2, '0')}`;

/** A small random world: 3-4 clinics, links with and without overrides, memberships, patients (tombstones too). */
export function randomWorld(rng: Rng): World {
  const clinic = Array.from({ length: rng.int(3, 4) }, (_, i) => ({
    id: `c${i}`,
    name: rng.pick(WORDS),
    code: `code${i}`,
  }));
  const treatment = Array.from({ length: 3 }, (_, i) => ({
    id: `t${i}`,
    name: rng.pick(WORDS),
    description: rng.bool(0.5) ? rng.pick(WORDS) : null,
    price: money(rng),
    maintenanceIntervalMonths: rng.bool(0.5) ? rng.int(1, 24) : null,
  }));
  const treatmentsByClinic: Row[] = [];
  for (const c of clinic)
    for (const t of treatment)
      if (rng.bool(0.5))
        treatmentsByClinic.push({
          id: `l${treatmentsByClinic.length}`,
          clinicId: c.id,
          treatmentId: t.id,
          priceOverride: rng.bool(0.5) ? money(rng) : null,
          notes: rng.bool(0.3) ? rng.pick(WORDS) : null,
        });
  const clinicMembership: Row[] = [];
  for (const userId of USERS)
    for (const c of clinic)
      if (rng.bool(0.35))
        clinicMembership.push({
          id: `m${clinicMembership.length}`,
          userId,
          clinicId: c.id,
          role: rng.bool(0.6) ? 'STAFF' : 'VIEWER',
        });
  const patient = Array.from({ length: rng.int(5, 9) }, (_, i) => ({
    id: `p${i}`,
    name: rng.pick(WORDS),
    email: `p${i}@example.com`,
    phone: rng.bool(0.4) ? `555${rng.int(100, 999)}` : null,
    clinicId: rng.pick(clinic).id,
    deletedAt: rng.bool(0.2) ? 'set' : null,
  }));
  const auditLog = Array.from({ length: rng.int(0, 3) }, () => ({
    actorId: 'system:seed',
    actorRole: 'SYSTEM',
    model: 'Clinic',
    action: 'create',
    recordId: rng.pick(clinic).id,
  }));
  return { clinic, treatment, treatmentsByClinic, patient, clinicMembership, auditLog };
}

const sqlValue = (model: string, column: string, value: unknown) =>
  model === 'patient' && column === 'deletedAt' && value !== null ? new Date('2026-01-01T00:00:00Z') : value;

/** Replaces every table's contents with `world`, as the owner (row-level security does not apply). */
export async function loadWorld(owner: pg.Pool, world: World): Promise<void> {
  const c = await owner.connect();
  try {
    await c.query('BEGIN');
    // The append-only trigger refuses DELETE from every role; the owner of the test database may switch
    // its own table's triggers off for the length of this transaction.
    await c.query(
      'ALTER TABLE "AuditLog" DISABLE TRIGGER USER; DELETE FROM "AuditLog"; ALTER TABLE "AuditLog" ENABLE TRIGGER USER; ' +
        'DELETE FROM "Patient"; DELETE FROM "ClinicMembership"; DELETE FROM "TreatmentsByClinic"; DELETE FROM "Treatment"; DELETE FROM "Clinic";',
    );
    // One multi-row INSERT per table: a world loads in a handful of round trips.
    for (const model of ['clinic', 'treatment', 'treatmentsByClinic', 'patient', 'clinicMembership'] as const) {
      if (world[model].length === 0) continue;
      const names = [...COLUMNS[model], 'updatedAt'];
      const values: unknown[] = [];
      const tuples = world[model].map((row) => {
        const vals = [...COLUMNS[model].map((col) => sqlValue(model, col, row[col])), new Date()];
        return `(${vals.map((v) => `$${values.push(v)}`).join(', ')})`;
      });
      await c.query(
        `INSERT INTO "${TABLE[model]}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
    for (const a of world.auditLog) {
      await c.query(
        'INSERT INTO "AuditLog" ("actorId", "actorRole", model, action, "recordId") VALUES ($1, $2, $3, $4, $5)',
        AUDIT_COLUMNS.map((k) => a[k]),
      );
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  } finally {
    c.release();
  }
}

const normalize = (model: string, column: string, value: unknown) => {
  if (model === 'patient' && column === 'deletedAt') return value === null ? null : 'set';
  if (typeof value === 'bigint') return Number(value);
  return value ?? null;
};

/** Every table as the owner sees it, in the World shape. */
export async function readWorld(owner: pg.Pool): Promise<World> {
  const out = {} as World;
  const parts = (['clinic', 'treatment', 'treatmentsByClinic', 'patient', 'clinicMembership'] as const).map(
    (m) =>
      `(SELECT coalesce(json_agg(json_build_array(${COLUMNS[m].map((c) => `"${c}"${m === 'treatment' && c === 'price' ? '::text' : ''}${c === 'priceOverride' ? '::text' : ''}`).join(', ')}) ORDER BY id), '[]') FROM "${TABLE[m]}") AS "${m}"`,
  );
  parts.push(
    `(SELECT coalesce(json_agg(json_build_array(${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) ORDER BY id), '[]') FROM "AuditLog") AS "auditLog"`,
  );
  const { rows } = await owner.query(`SELECT ${parts.join(', ')}`);
  const r = rows[0] as Record<string, unknown[][]>;
  for (const m of ['clinic', 'treatment', 'treatmentsByClinic', 'patient', 'clinicMembership'] as const) {
    out[m] = (r[m] ?? []).map((vals) => Object.fromEntries(COLUMNS[m].map((c, i) => [c, normalize(m, c, vals[i])])));
  }
  out.auditLog = (r.auditLog ?? []).map(
    (vals) => Object.fromEntries(AUDIT_COLUMNS.map((c, i) => [c, vals[i]])) as unknown as AuditRow,
  );
  return out;
}

/** Sorted for comparison: audit rows of one transaction come in no guaranteed order. */
export const auditKeys = (rows: AuditRow[]) =>
  rows.map((a) => `${a.model}:${a.action}:${a.recordId}:${a.actorId}:${a.actorRole}`).sort();

export const byId = (rows: Row[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id), 'en'));

/** The session's memberships as the world holds them (what loadSession would build). */
export function membershipsOf(world: World, userId: string): Membership[] {
  return world.clinicMembership
    .filter((m) => m.userId === userId)
    .map((m) => ({ clinicId: m.clinicId as string, role: m.role as Membership['role'] }))
    .sort((a, b) => a.clinicId.localeCompare(b.clinicId));
}

export type { Session };
