import type { AuditLog, Clinic, ClinicMembership, Patient, Treatment, TreatmentsByClinic } from '@acme/db';
import type Decimal from 'decimal.js';

/** Money leaves the API as an exact 2-decimal string: JSON would turn 39.50 into "39.5". */
export const formatMoney = (value: Decimal): string => value.toFixed(2);

export const clinicDto = (c: Clinic) => ({
  id: c.id,
  name: c.name,
  code: c.code,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const treatmentDto = (t: Treatment) => ({
  id: t.id,
  name: t.name,
  description: t.description,
  price: formatMoney(t.price),
  maintenanceIntervalMonths: t.maintenanceIntervalMonths,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export const linkDto = (l: TreatmentsByClinic) => ({
  id: l.id,
  clinicId: l.clinicId,
  treatmentId: l.treatmentId,
  priceOverride: l.priceOverride === null ? null : formatMoney(l.priceOverride),
  notes: l.notes,
  createdAt: l.createdAt.toISOString(),
  updatedAt: l.updatedAt.toISOString(),
});

export const patientDto = (p: Patient) => ({
  id: p.id,
  clinicId: p.clinicId,
  name: p.name,
  email: p.email,
  phone: p.phone,
  dateOfBirth: p.dateOfBirth === null ? null : p.dateOfBirth.toISOString().slice(0, 10),
  deletedAt: p.deletedAt === null ? null : p.deletedAt.toISOString(),
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

export const membershipDto = (m: ClinicMembership) => ({
  id: m.id,
  userId: m.userId,
  clinicId: m.clinicId,
  role: m.role,
  createdAt: m.createdAt.toISOString(),
});

/** Audit ids are BigInt in the database and strings in JSON. */
export const auditDto = (a: AuditLog) => ({
  id: a.id.toString(),
  occurredAt: a.occurredAt.toISOString(),
  txId: a.txId.toString(),
  actorId: a.actorId,
  actorRole: a.actorRole,
  model: a.model,
  action: a.action,
  recordId: a.recordId,
  before: a.before,
  after: a.after,
});

/** Keyset page: fetch one extra row to know whether another page follows. */
export function toPage<T extends { id: string }, D>(rows: T[], limit: number, dto: (row: T) => D) {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items: items.map(dto), nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
}

/** findMany arguments for a page ordered by `orderBy` then id (a stable, unique order). */
export const pageArgs = (input: { limit: number; cursor?: string | undefined }) => ({
  take: input.limit + 1,
  ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
});
