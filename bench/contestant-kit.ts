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

export interface Contestant {
  name: string;
  findUnique(s: SessionInput, id: string): Promise<ClinicRow | null>;
  listPage(s: SessionInput): Promise<PageRow[]>;
  clinicTreatments(s: SessionInput, clinicId: string): Promise<PriceRow[]>;
  create(s: SessionInput, n: number): Promise<string>;
  update(s: SessionInput, id: string, n: number): Promise<void>;
  /** Must refuse: USER updating a clinic. Resolves true when refused. */
  deniedWrite(s: SessionInput, id: string): Promise<boolean>;
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
