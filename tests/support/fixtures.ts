import type { SessionInput } from '@acme/auth';
import Decimal from 'decimal.js';
import { openScriptSystemClient } from '../../tooling/system-client.ts';
import { schema } from '../../zenstack/schema.ts';

/**
 * A client with no access rules, for arranging fixtures and reading the
 * database back after a denied write. Tests only: the package itself exports
 * no policy-free client.
 */
export function openUnrestrictedDb() {
  return openScriptSystemClient(process.env.DATABASE_URL as string);
}
export type UnrestrictedDb = ReturnType<typeof openUnrestrictedDb>;

export const SESSIONS = {
  anonymous: null,
  user: { id: 'user-1', role: 'USER' },
  support: { id: 'support-1', role: 'SUPPORT' },
  admin: { id: 'admin-1', role: 'ADMIN' },
} as const satisfies Record<string, SessionInput | null>;
export type SessionName = keyof typeof SESSIONS;
export const SESSION_NAMES = Object.keys(SESSIONS) as SessionName[];

/** A money value as the ORM takes it. */
export const dec = (value: string) => new Decimal(value);

let seq = 0;
/** Unique-enough suffix for codes and names within one test database. */
export function uid(prefix = 'x'): string {
  seq += 1;
  return `${prefix}-${process.pid}-${seq}`;
}

/** Every row of every table (audit log included), ordered: compare before/after to prove nothing changed. */
export async function snapshot(db: UnrestrictedDb) {
  const [clinics, treatments, links, patients, memberships, audit, others] = await Promise.all([
    db.clinic.findMany({ orderBy: { id: 'asc' } }),
    db.treatment.findMany({ orderBy: { id: 'asc' } }),
    db.treatmentsByClinic.findMany({ orderBy: { id: 'asc' } }),
    db.patient.findMany({ orderBy: { id: 'asc' } }),
    db.clinicMembership.findMany({ orderBy: { id: 'asc' } }),
    db.auditLog.findMany({ orderBy: { id: 'asc' } }),
    otherModels(db),
  ]);
  return { clinics, treatments, links, patients, memberships, audit, others };
}

const NAMED = new Set(['Clinic', 'Treatment', 'TreatmentsByClinic', 'Patient', 'ClinicMembership', 'AuditLog']);
/** Rows of every model the schema has beyond the named ones (a new model): "unchanged" covers it too. */
async function otherModels(db: UnrestrictedDb): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const model of Object.keys(schema.models).filter((m) => !NAMED.has(m))) {
    const idField = Object.values(schema.models[model as keyof typeof schema.models].fields).find(
      (f) => 'id' in f && f.id,
    );
    // biome-ignore lint/suspicious/noExplicitAny: a delegate picked by model name
    const delegate = (db as any)[model.charAt(0).toLowerCase() + model.slice(1)];
    out[model] = await delegate.findMany(idField ? { orderBy: { [idField.name]: 'asc' } } : {});
  }
  return out;
}

/** A clinic, a treatment and the link between them. */
export async function arrangeLinked(db: UnrestrictedDb) {
  const clinic = await db.clinic.create({ data: { name: uid('Clinic'), code: uid('C') } });
  const treatment = await db.treatment.create({ data: { name: uid('Treatment'), price: dec('120.50') } });
  const link = await db.treatmentsByClinic.create({
    data: { clinicId: clinic.id, treatmentId: treatment.id, priceOverride: dec('99.90') },
  });
  return { clinic, treatment, link };
}
