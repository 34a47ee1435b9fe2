/** What every contestant implements, and the hand-written rules the ones without a policy engine apply. */
import type { SessionInput } from '@acme/auth';
import Decimal from 'decimal.js';
import pg from 'pg';

export interface ClinicRow {
  id: string;
  name: string;
  code: string;
}
export interface PageRow {
  id: string;
  links: { id: string; treatmentId: string; treatmentName: string }[];
}
export interface PriceRow {
  treatmentId: string;
  effectivePrice: string;
}

export interface FilteredRow {
  id: string;
  name: string;
  price: string;
}
export interface NestedClinic {
  id: string;
  name: string;
  links: { id: string; treatment: { id: string; name: string } }[];
}

export interface Contestant {
  name: string;
  findUnique(s: SessionInput, id: string): Promise<ClinicRow | null>;
  listPage(s: SessionInput): Promise<PageRow[]>;
  clinicTreatments(s: SessionInput, clinicId: string): Promise<PriceRow[]>;
  create(s: SessionInput, n: number): Promise<string>;
  update(s: SessionInput, id: string, n: number): Promise<void>;
  /** Must refuse: USER updating a clinic. Resolves true when refused. */
  deniedWrite(s: SessionInput, id: string): Promise<boolean>;
  /** Treatments priced at least 100, most expensive first (then id), first 20. */
  filteredList(s: SessionInput): Promise<FilteredRow[]>;
  /** How many treatments a clinic links. */
  count(s: SessionInput, clinicId: string): Promise<number>;
  /** One clinic with its links and each link's treatment (two levels). */
  nestedFindUnique(s: SessionInput, clinicId: string): Promise<NestedClinic | null>;
  /** Creates the treatment `id` or renames it, with its audit row. */
  upsert(s: SessionInput, id: string, n: number): Promise<void>;
  /** Soft-deletes a patient (sets deletedAt), with its audit row. */
  softDelete(s: SessionInput, patientId: string): Promise<void>;
  /** Creates `BULK_ROWS` treatments in one call, with one audit row each. */
  createMany(s: SessionInput, n: number): Promise<void>;
  close(): Promise<void>;
}

class Denied extends Error {}
export const requireAdmin = (s: SessionInput) => {
  if (s.role !== 'ADMIN') throw new Denied();
};
export const refused = async (p: () => Promise<unknown>) =>
  p().then(
    () => false,
    () => true,
  );
export const money = (v: unknown) => new Decimal(String(v)).toFixed(2);
export const sortPrices = (rows: PriceRow[]) => rows.sort((a, b) => a.treatmentId.localeCompare(b.treatmentId));

export const newPool = (url: string) => new pg.Pool({ connectionString: url, max: 10 });

/** A list-page row from an ORM's nested `treatmentsByClinic { id, treatment { id, name } }` shape. */
export function toPageRow(c: {
  id: string;
  treatmentsByClinic: { id: string; treatment: { id: string; name: string } }[];
}): PageRow {
  return {
    id: c.id,
    links: c.treatmentsByClinic.map((l) => ({
      id: l.id,
      treatmentId: l.treatment.id,
      treatmentName: l.treatment.name,
    })),
  };
}

export const BULK_ROWS = 1_000;
export const FILTER_MIN_PRICE = 100;
export const FILTER_TAKE = 20;
export const filteredRow = (r: { id: string; name: string; price: unknown }): FilteredRow => ({
  id: r.id,
  name: r.name,
  price: money(r.price),
});

/**
 * The audit row every contestant writes with a write, in the same
 * transaction (the product's audit plugin writes the same columns):
 * changed fields before/after as JSON, the actor from the session.
 */
export function auditValues(
  s: SessionInput,
  model: string,
  action: 'create' | 'update' | 'delete',
  recordId: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
) {
  return {
    actorId: s.id,
    actorRole: s.role,
    model,
    action,
    recordId,
    before: before === null ? null : JSON.stringify(before),
    after: after === null ? null : JSON.stringify(after),
  };
}
export const AUDIT_INSERT_SQL = `INSERT INTO "AuditLog" ("actorId", "actorRole", model, action, "recordId", before, after)`;
