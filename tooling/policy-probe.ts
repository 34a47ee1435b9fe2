import type { SessionInput } from '@acme/auth';
import { createDb, loadSession, ORMError } from '@acme/db';
import Decimal from 'decimal.js';
import {
  may,
  mayUpdate,
  type Model as OracleModel,
  type Row,
  type Session,
} from '../tests/policy-fuzz/rules-oracle.ts';
import { schema } from '../zenstack/schema.ts';
import { type GenericProbe, genericProbe } from './policy-probe-generic.ts';
import { openScriptSystemClient } from './system-client.ts';

/** `n/a`: nothing to probe (a model with no row yet, for the probes that need one). */
export type Outcome = 'allowed' | 'denied' | 'n/a' | `error: ${string}`;
export const OPERATIONS = ['read', 'create', 'update', 'delete'] as const;
/** Every model of the schema: the ones below with probes of their own, any other through policy-probe-generic.ts. */
export const MODELS = Object.keys(schema.models);
const PROBED = ['Clinic', 'Treatment', 'TreatmentsByClinic', 'Patient', 'ClinicMembership', 'AuditLog'] as const;
export type Operation = (typeof OPERATIONS)[number];
type Model = (typeof PROBED)[number];
export type Db = ReturnType<typeof createDb>;

class Rollback extends Error {}
class NothingToProbe extends Error {}
/** A read that returned nothing: the rules hid the row. */
class Invisible extends Error {}
/** What a probe returns when there is no row to probe. */
export const NOTHING_TO_PROBE = Promise.resolve('n/a' as const);

/** Runs `op` as the session inside a transaction that is always rolled back. */
export async function attempt(session: SessionInput | null, op: (db: Db) => Promise<unknown>): Promise<Outcome> {
  try {
    await createDb(session).$transaction(async (tx) => {
      const result = await op(tx as unknown as Db);
      if (result === 'n/a') throw new NothingToProbe();
      if (result === null) throw new Invisible();
      throw new Rollback();
    });
    return 'error: transaction committed';
  } catch (err) {
    if (err instanceof Rollback) return 'allowed';
    if (err instanceof Invisible) return 'denied';
    if (err instanceof NothingToProbe) return 'n/a';
    if (err instanceof ORMError && (err.reason === 'rejected-by-policy' || err.reason === 'not-found')) return 'denied';
    // A unique key the copy shares with its original: the rules let the write through to the database.
    if (err instanceof ORMError && err.reason === 'db-query-error' && err.dbErrorCode === '23505') return 'allowed';
    return `error: ${(err as Error).message.split('\n')[0]}`;
  }
}

/**
 * Observes, against the real database, what each session may do to each
 * model: the policy table as enforced, not as written. Disposable rows are
 * arranged with a rule-free client, every probe runs in a rolled-back
 * transaction, and the rows are removed afterwards.
 */
export async function probePolicies(url: string, sessions: Record<string, SessionInput | null>) {
  const sys = openScriptSystemClient(url);
  const tag = `probe-${process.pid}-${Date.now()}`;
  const clinic = await sys.clinic.create({ data: { name: `${tag} clinic`, code: `${tag}-a` } });
  const spareClinic = await sys.clinic.create({ data: { name: `${tag} spare`, code: `${tag}-b` } });
  const treatment = await sys.treatment.create({ data: { name: `${tag} treatment`, price: new Decimal('1.00') } });
  const spareTreatment = await sys.treatment.create({ data: { name: `${tag} spare`, price: new Decimal('1.00') } });
  const link = await sys.treatmentsByClinic.create({ data: { clinicId: clinic.id, treatmentId: treatment.id } });
  const patient = await sys.patient.create({
    data: { name: `${tag} patient`, email: `${tag}@example.com`, clinicId: clinic.id },
  });
  // Patients are clinic-scoped: the rows that matter are a member, a
  // non-member, a SUPPORT member and ADMIN of the probe clinic.
  const member = { id: `${tag}-member`, role: 'USER' } as const;
  const supportMember = { id: `${tag}-support`, role: 'SUPPORT' } as const;
  await sys.clinicMembership.createMany({
    data: [member, supportMember].map((p) => ({ userId: p.id, clinicId: clinic.id, role: 'STAFF' as const })),
  });
  const membership = await sys.clinicMembership.findFirstOrThrow({ where: { userId: member.id } });
  // The audit log is append-only (no row can be removed afterwards): probe an existing row, if there is one.
  const auditRow = await sys.auditLog.findFirst({ orderBy: { id: 'desc' } });
  const patientSessions: Record<string, SessionInput | null> = {
    member: await loadSession(member),
    'non-member': { id: `${tag}-outsider`, role: 'USER' },
    'support-member': await loadSession(supportMember),
    admin: { id: `${tag}-admin`, role: 'ADMIN' },
    anonymous: null,
  };

  const probes: Record<Model, Record<Operation, (db: Db) => Promise<unknown>>> = {
    Clinic: {
      read: (db) => db.clinic.findUnique({ where: { id: clinic.id } }),
      create: (db) => db.clinic.create({ data: { name: 'probe', code: `${tag}-c` } }),
      update: (db) => db.clinic.update({ where: { id: clinic.id }, data: { name: 'probed' } }),
      delete: (db) => db.clinic.delete({ where: { id: spareClinic.id } }),
    },
    Treatment: {
      read: (db) => db.treatment.findUnique({ where: { id: treatment.id } }),
      create: (db) => db.treatment.create({ data: { name: 'probe', price: new Decimal('2.00') } }),
      update: (db) => db.treatment.update({ where: { id: treatment.id }, data: { name: 'probed' } }),
      delete: (db) => db.treatment.delete({ where: { id: spareTreatment.id } }),
    },
    TreatmentsByClinic: {
      read: (db) => db.treatmentsByClinic.findUnique({ where: { id: link.id } }),
      create: (db) => db.treatmentsByClinic.create({ data: { clinicId: clinic.id, treatmentId: spareTreatment.id } }),
      update: (db) => db.treatmentsByClinic.update({ where: { id: link.id }, data: { notes: 'probed' } }),
      delete: (db) => db.treatmentsByClinic.delete({ where: { id: link.id } }),
    },
    Patient: {
      read: (db) => db.patient.findUnique({ where: { id: patient.id } }),
      create: (db) =>
        db.patient.create({ data: { name: 'probe', email: `new-${tag}@example.com`, clinicId: clinic.id } }),
      update: (db) => db.patient.update({ where: { id: patient.id }, data: { name: 'probed' } }),
      delete: (db) => db.patient.delete({ where: { id: patient.id } }),
    },
    ClinicMembership: {
      read: (db) => db.clinicMembership.findUnique({ where: { id: membership.id } }),
      create: (db) =>
        db.clinicMembership.create({ data: { userId: `${tag}-new`, clinicId: clinic.id, role: 'VIEWER' } }),
      update: (db) => db.clinicMembership.update({ where: { id: membership.id }, data: { role: 'VIEWER' } }),
      delete: (db) => db.clinicMembership.delete({ where: { id: membership.id } }),
    },
    AuditLog: {
      read: (db) => (auditRow ? db.auditLog.findUnique({ where: { id: auditRow.id } }) : NOTHING_TO_PROBE),
      create: (db) =>
        db.auditLog.create({
          data: { actorId: tag, actorRole: 'USER', model: 'Clinic', action: 'update', recordId: clinic.id },
        }),
      update: (db) =>
        auditRow ? db.auditLog.update({ where: { id: auditRow.id }, data: { action: 'probed' } }) : NOTHING_TO_PROBE,
      delete: (db) => (auditRow ? db.auditLog.delete({ where: { id: auditRow.id } }) : NOTHING_TO_PROBE),
    },
  };

  // What the rules as data (tests/policy-fuzz/rules-oracle.ts) say each probe must do.
  const probeRows: Record<Model, { model: OracleModel; row: Row; created: Row; patch: Row }> = {
    Clinic: { model: 'clinic', row: clinic, created: {}, patch: {} },
    Treatment: { model: 'treatment', row: treatment, created: {}, patch: {} },
    TreatmentsByClinic: { model: 'treatmentsByClinic', row: link, created: {}, patch: {} },
    Patient: { model: 'patient', row: patient, created: { clinicId: clinic.id, deletedAt: null }, patch: {} },
    ClinicMembership: { model: 'clinicMembership', row: membership, created: {}, patch: { role: 'VIEWER' } },
    AuditLog: { model: 'auditLog', row: auditRow ?? {}, created: {}, patch: {} },
  };
  const expectedOf = (input: SessionInput | null, model: Model, operation: Operation): Outcome => {
    if (model === 'AuditLog' && !auditRow && operation !== 'create') return 'n/a';
    const session: Session = input && { id: input.id, role: input.role, memberships: input.memberships ?? [] };
    const { model: m, row, created, patch } = probeRows[model];
    const allowed =
      operation === 'read'
        ? may(session, m, 'read', row)
        : operation === 'create'
          ? may(session, m, 'create', created)
          : operation === 'update'
            ? mayUpdate(session, m, row, { ...row, ...patch })
            : may(session, m, 'delete', row);
    return allowed ? 'allowed' : 'denied';
  };

  const matrix: { session: string; model: string; operation: Operation; outcome: Outcome; expected: Outcome }[] = [];
  // Clinic-scoped models are probed with sessions defined by the probe clinic's memberships.
  const scoped = new Set(['Patient', 'ClinicMembership']);
  const generic = new Map<string, GenericProbe>();
  try {
    for (const model of MODELS) {
      const own = (PROBED as readonly string[]).includes(model);
      const probe = own ? undefined : await genericProbe(sys, model);
      if (probe) generic.set(model, probe);
      for (const [name, session] of Object.entries(scoped.has(model) ? patientSessions : sessions)) {
        for (const operation of OPERATIONS) {
          const outcome = probe
            ? await probe.attempt(session, operation)
            : await attempt(session, probes[model as Model][operation]);
          const expected = probe
            ? await probe.expected(session, operation)
            : expectedOf(session, model as Model, operation);
          matrix.push({ session: name, model, operation, outcome, expected });
        }
      }
    }
  } finally {
    await sys.patient.deleteMany({ where: { clinicId: clinic.id } });
    await sys.clinicMembership.deleteMany({ where: { clinicId: clinic.id } });
    await sys.treatmentsByClinic.deleteMany({ where: { id: link.id } });
    await sys.clinic.deleteMany({ where: { id: { in: [clinic.id, spareClinic.id] } } });
    await sys.treatment.deleteMany({ where: { id: { in: [treatment.id, spareTreatment.id] } } });
    await sys.$disconnect();
  }
  return matrix;
}

const EXPECTED_FROM = 'tests/policy-fuzz/rules-oracle.ts; explain() for a model it does not state; - no row yet';

/**
 * The matrix as a fixed-width table: one row per session x model, one column
 * per operation. A cell that disagrees with the rules as data is marked `!`
 * and counted below the table.
 */
export function formatMatrix(matrix: Awaited<ReturnType<typeof probePolicies>>): string {
  const rows = new Map<string, Record<string, string>>();
  let disagreements = 0;
  for (const { session, model, operation, outcome, expected } of matrix) {
    const key = `${session.padEnd(15)} ${model.padEnd(19)}`;
    const text = outcome === 'allowed' ? 'yes' : outcome === 'denied' ? 'no' : outcome === 'n/a' ? '-' : outcome;
    if (outcome !== expected) disagreements += 1;
    rows.set(key, { ...rows.get(key), [operation]: outcome === expected ? text : `${text}!` });
  }
  const cell = (o: string | undefined) => (o ?? '?').padEnd(7);
  const header = `${'session'.padEnd(15)} ${'model'.padEnd(19)} ${OPERATIONS.map((o) => o.padEnd(7)).join('')}`;
  const footer =
    disagreements === 0
      ? `every cell agrees with the rules as data (${EXPECTED_FROM})`
      : `${disagreements} cell(s) marked ! disagree with the rules as data (${EXPECTED_FROM})`;
  return [header, ...[...rows].map(([k, v]) => `${k} ${OPERATIONS.map((o) => cell(v[o])).join('')}`), footer].join(
    '\n',
  );
}
