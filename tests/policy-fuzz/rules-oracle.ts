/**
 * The access rules as data: who may do what to which row, as plain predicates
 * over plain row objects. This is the README's "Access policies" tables
 * written a second time, by hand, without ZenStack's rule evaluation, so that
 * tests (tests/policy-matrix.test.ts, the randomized suite in this folder) and
 * the demo's live matrix (tooling/policy-probe.ts) compare what the
 * database does against what the README says.
 *
 * | Model              | read                                  | create / update / delete |
 * | Clinic             | authenticated                         | ADMIN                    |
 * | Treatment          | authenticated                         | ADMIN                    |
 * | TreatmentsByClinic | authenticated                         | ADMIN                    |
 * | Patient            | ADMIN all; USER/SUPPORT of the clinic | see PATIENT below        |
 * | ClinicMembership   | ADMIN all; a user their own           | ADMIN                    |
 * | AuditLog           | ADMIN                                 | nobody (through the ORM) |
 *
 * Patient: create and update for ADMIN, or a USER who is STAFF of the row's
 * clinic; after an update the row must be in a clinic where the writer is
 * STAFF (or the writer is ADMIN); delete for ADMIN (a soft delete); a tombstone
 * (`deletedAt` set) is ADMIN's only, and no one creates one.
 *
 * A nested write (`clinic.update({ data: { patients: … } })`) also needs
 * `update` on its parent row.
 */
export type Role = 'USER' | 'SUPPORT' | 'ADMIN';
export type ClinicRole = 'STAFF' | 'VIEWER';
export interface Membership {
  clinicId: string;
  role: ClinicRole;
}
/** A valid session as createDb receives it; null is anonymous. */
export type Session = { id: string; role: Role; memberships: Membership[] } | null;
export type Model = 'clinic' | 'treatment' | 'treatmentsByClinic' | 'patient' | 'clinicMembership' | 'auditLog';
/** `postUpdate` judges the row after an update; the others the row as it is (or, for create, will be). */
export type Operation = 'read' | 'create' | 'update' | 'postUpdate' | 'delete';
export type Row = Record<string, unknown>;
type Rule = (session: Session, row: Row) => boolean;

export const MODELS: Model[] = ['clinic', 'treatment', 'treatmentsByClinic', 'patient', 'clinicMembership', 'auditLog'];
export const OPERATIONS: Operation[] = ['read', 'create', 'update', 'postUpdate', 'delete'];

const anyone: Rule = () => true;
const nobody: Rule = () => false;
const authenticated: Rule = (s) => s !== null;
const admin: Rule = (s) => s?.role === 'ADMIN';
const memberOf = (s: Session, clinicId: unknown, role?: ClinicRole) =>
  !!s && s.memberships.some((m) => m.clinicId === clinicId && (role === undefined || m.role === role));
const tombstone = (row: Row) => row.deletedAt !== null && row.deletedAt !== undefined;
/** Tombstones are ADMIN's: a deny on top of whatever else allows. */
const unlessTombstone =
  (rule: Rule): Rule =>
  (s, row) =>
    rule(s, row) && (!tombstone(row) || admin(s, row));

const ADMIN_WRITES = { create: admin, update: admin, postUpdate: anyone, delete: admin };

export const RULES: Record<Model, Record<Operation, Rule>> = {
  clinic: { read: authenticated, ...ADMIN_WRITES },
  treatment: { read: authenticated, ...ADMIN_WRITES },
  treatmentsByClinic: { read: authenticated, ...ADMIN_WRITES },
  patient: {
    read: unlessTombstone(
      (s, r) => admin(s, r) || ((s?.role === 'USER' || s?.role === 'SUPPORT') && memberOf(s, r.clinicId)),
    ),
    create: (s, r) => !tombstone(r) && (admin(s, r) || (s?.role === 'USER' && memberOf(s, r.clinicId, 'STAFF'))),
    update: unlessTombstone((s, r) => admin(s, r) || (s?.role === 'USER' && memberOf(s, r.clinicId, 'STAFF'))),
    // "Must stay in one": the row after the change is in a clinic where the writer is STAFF.
    postUpdate: unlessTombstone((s, r) => admin(s, r) || memberOf(s, r.clinicId, 'STAFF')),
    delete: admin,
  },
  clinicMembership: { read: (s, r) => admin(s, r) || (!!s && s.id === r.userId), ...ADMIN_WRITES },
  // Through the ORM the audit plugin refuses every AuditLog write; row-level
  // security lets a session append rows in its own name (see AUDIT_SQL_INSERT).
  auditLog: { read: admin, create: nobody, update: nobody, postUpdate: nobody, delete: nobody },
};

/** What PostgreSQL's policies allow for an INSERT into AuditLog on the app role. */
export const AUDIT_SQL_INSERT: Rule = (s, r) => !!s && r.actorId === s.id && r.actorRole === s.role;

export function may(session: Session, model: Model, operation: Operation, row: Row): boolean {
  return RULES[model][operation](session, row);
}

/** An update as a whole: allowed on the row before, and the row after passes post-update. */
export function mayUpdate(session: Session, model: Model, before: Row, after: Row): boolean {
  return may(session, model, 'update', before) && may(session, model, 'postUpdate', after);
}

/** The session kinds the README's tables name, for matrices that print one row per kind. */
export function sessionKind(session: Session, clinicId?: string): string {
  if (!session) return 'anonymous';
  const m = clinicId ? session.memberships.find((x) => x.clinicId === clinicId) : undefined;
  return m ? `${session.role} ${m.role}` : session.role;
}
