/**
 * Random writes and what they must do, through the ORM (createDb) and as the
 * flat SQL a service on the app role would send. The expected outcome is
 * computed from the oracle's rules over the suite's world: which rows are
 * touched, the error kind when refused, the world afterwards and the audit
 * rows the write appends (none for a refused one).
 */

import { foldOperation } from '../../src/rules/index.ts';
import { schema } from '../../zenstack/schema.ts';
import type { Rng } from './rng.ts';
import { type Model, may, mayUpdate, type Row, type Session } from './rules-oracle.ts';
import { type AuditRow, cloneWorld, money, TABLE, USERS, WORDS, type World } from './world.ts';

type DataModel = Exclude<Model, 'auditLog'>;

/** A foreign key pointing at no row (checked by PostgreSQL, 23503). */
function missingReference(world: World, model: Model, row: Row): boolean {
  const refs: [string, DataModel][] =
    model === 'treatmentsByClinic'
      ? [
          ['clinicId', 'clinic'],
          ['treatmentId', 'treatment'],
        ]
      : model === 'patient' || model === 'clinicMembership'
        ? [['clinicId', 'clinic']]
        : [];
  return refs.some(([key, target]) => !world[target].some((r) => r.id === row[key]));
}
/** A write PostgreSQL refuses for the world's keys: a missing reference or a taken unique value (23505). */
export function conflicts(world: World, model: Model, row: Row, except?: Row): boolean {
  const others = model === 'auditLog' ? [] : world[model].filter((r) => r !== except);
  if (missingReference(world, model, row)) return true;
  if (others.some((r) => r.id === row.id)) return true;
  if (model === 'clinic') return others.some((r) => r.code === row.code);
  if (model === 'treatmentsByClinic')
    return others.some((r) => r.clinicId === row.clinicId && r.treatmentId === row.treatmentId);
  if (model === 'clinicMembership') return others.some((r) => r.clinicId === row.clinicId && r.userId === row.userId);
  if (model === 'patient')
    return (
      live(row) &&
      others.some(
        (r) =>
          live(r) && r.clinicId === row.clinicId && String(r.email).toLowerCase() === String(row.email).toLowerCase(),
      )
    );
  return false;
}
export type Where = Record<string, unknown>;
export type Write =
  | { kind: 'create' | 'createMany' | 'createManyAndReturn'; model: Model; rows: Row[] }
  | { kind: 'update'; model: DataModel; id: string; data: Row }
  | { kind: 'updateMany' | 'updateManyAndReturn'; model: DataModel; where: Where; data: Row }
  | { kind: 'upsert'; model: DataModel; id: string; create: Row; data: Row }
  | { kind: 'delete'; model: DataModel; id: string }
  | { kind: 'deleteMany'; model: DataModel; where: Where }
  | { kind: 'restore'; model: 'patient'; id: string }
  | { kind: 'moveByConnect'; model: 'patient'; id: string; clinicId: string }
  | { kind: 'nested'; model: 'clinic'; id: string; relation: 'patients' | 'treatmentsByClinic'; op: string; arg: Row };

export type Outcome =
  | { ok: true; result: unknown }
  | { ok: false; error: 'not-found' | 'rejected-by-policy' | 'refused' | 'db-error' };
export interface Expected {
  outcome: Outcome;
  world: World;
}

const FK: Partial<Record<DataModel, { model: DataModel; key: string }[]>> = {
  clinic: [
    { model: 'treatmentsByClinic', key: 'clinicId' },
    { model: 'patient', key: 'clinicId' },
    { model: 'clinicMembership', key: 'clinicId' },
  ],
  treatment: [{ model: 'treatmentsByClinic', key: 'treatmentId' }],
};
const live = (r: Row) => r.deletedAt === null || r.deletedAt === undefined;
const scalarWhere = (r: Row, w: Where) =>
  Object.entries(w).every(([k, v]) =>
    v !== null && typeof v === 'object' && 'in' in v ? (v.in as unknown[]).includes(r[k]) : r[k] === v,
  );

// ---------------------------------------------------------------- generation
function newRow(rng: Rng, world: World, model: Model, id: string): Row {
  const clinic = () => rng.id(world.clinic);
  switch (model) {
    case 'clinic':
      return { id, name: rng.pick(WORDS), code: `code${id}` };
    case 'treatment':
      return { id, name: rng.pick(WORDS), description: null, price: money(rng), maintenanceIntervalMonths: null };
    case 'treatmentsByClinic':
      return {
        id,
        clinicId: clinic(),
        treatmentId: rng.id(world.treatment),
        priceOverride: rng.bool() ? money(rng) : null,
        notes: null,
      };
    case 'patient':
      return {
        id,
        name: rng.pick(WORDS),
        email: `${id}@example.com`,
        phone: null,
        clinicId: clinic(),
        deletedAt: rng.bool(0.1) ? 'set' : null,
      };
    case 'clinicMembership':
      return { id, userId: rng.pick(USERS), clinicId: clinic(), role: rng.pick(['STAFF', 'VIEWER']) };
    case 'auditLog':
      return { actorId: rng.pick(USERS), actorRole: 'ADMIN', model: 'Clinic', action: 'create', recordId: id };
  }
}

function patch(rng: Rng, world: World, model: DataModel): Row {
  switch (model) {
    case 'clinic':
      return { name: rng.pick(WORDS) };
    case 'treatment':
      return rng.bool() ? { price: money(rng) } : { description: rng.bool() ? rng.pick(WORDS) : null };
    case 'treatmentsByClinic':
      return rng.bool() ? { priceOverride: rng.bool() ? money(rng) : null } : { notes: rng.pick(WORDS) };
    case 'patient':
      return rng.pick([
        { name: rng.pick(WORDS) },
        { phone: `555${rng.int(100, 999)}` },
        { clinicId: rng.id(world.clinic) },
        { deletedAt: 'set' },
      ]);
    case 'clinicMembership':
      return { role: rng.pick(['STAFF', 'VIEWER']) };
  }
}

function manyWhere(rng: Rng, world: World, model: DataModel): Where {
  const ids = world[model].map((r) => r.id as string);
  switch (rng.int(0, 3)) {
    case 0:
      return { id: { in: rng.sample(ids, rng.int(1, 3)) } };
    case 1:
      return model === 'patient' || model === 'treatmentsByClinic' || model === 'clinicMembership'
        ? { clinicId: rng.id(world.clinic) }
        : { id: rng.pick(ids) };
    case 2:
      return model === 'clinicMembership'
        ? { userId: rng.pick(USERS) }
        : model === 'treatmentsByClinic'
          ? {}
          : { name: rng.pick(WORDS) };
    default:
      return {};
  }
}

const WRITABLE: DataModel[] = [
  'clinic',
  'treatment',
  'treatmentsByClinic',
  'patient',
  'patient',
  'patient',
  'clinicMembership',
];

export function randomWrite(rng: Rng, world: World, tag: string): Write {
  const model = rng.pick(WRITABLE);
  const pickId = (m: DataModel) => (rng.bool(0.92) && world[m].length ? (rng.pick(world[m]).id as string) : 'missing');
  const kind = rng.pick([
    'create',
    'createMany',
    'createManyAndReturn',
    'update',
    'update',
    'updateMany',
    'updateManyAndReturn',
    'upsert',
    'delete',
    'deleteMany',
    'restore',
    'move',
    'nested',
    'nested',
    'audit',
  ] as const);
  switch (kind) {
    case 'create':
    case 'createMany':
    case 'createManyAndReturn': {
      const n = kind === 'create' ? 1 : rng.int(1, 3);
      return { kind, model, rows: Array.from({ length: n }, (_, i) => newRow(rng, world, model, `${tag}x${i}`)) };
    }
    case 'audit':
      return { kind: 'create', model: 'auditLog', rows: [newRow(rng, world, 'auditLog', tag)] };
    case 'update':
      return { kind, model, id: pickId(model), data: patch(rng, world, model) };
    case 'updateMany':
    case 'updateManyAndReturn':
      return { kind, model, where: manyWhere(rng, world, model), data: patch(rng, world, model) };
    case 'upsert':
      return {
        kind,
        model,
        id: pickId(model),
        create: newRow(rng, world, model, `${tag}u`),
        data: patch(rng, world, model),
      };
    case 'delete':
      return { kind, model, id: pickId(model) };
    case 'deleteMany':
      return { kind, model, where: manyWhere(rng, world, model) };
    case 'restore':
      return { kind, model: 'patient', id: pickId('patient') };
    case 'move':
      return { kind: 'moveByConnect', model: 'patient', id: pickId('patient'), clinicId: rng.id(world.clinic) };
    case 'nested': {
      const id = pickId('clinic');
      const op = rng.pick(['create', 'updateMany', 'update', 'deleteMany', 'linkCreate', 'linkDeleteMany']);
      if (op === 'create')
        return {
          kind: 'nested',
          model: 'clinic',
          id,
          relation: 'patients',
          op,
          arg: { id: `${tag}n`, name: rng.pick(WORDS), email: `${tag}n@example.com` },
        };
      if (op === 'updateMany')
        return {
          kind: 'nested',
          model: 'clinic',
          id,
          relation: 'patients',
          op,
          arg: {
            where: rng.bool() ? {} : { name: rng.pick(WORDS) },
            data: rng.bool(0.7) ? { name: rng.pick(WORDS) } : { deletedAt: 'set' },
          },
        };
      if (op === 'update')
        return {
          kind: 'nested',
          model: 'clinic',
          id,
          relation: 'patients',
          op,
          arg: { where: { id: pickId('patient') }, data: { name: rng.pick(WORDS) } },
        };
      if (op === 'deleteMany')
        return {
          kind: 'nested',
          model: 'clinic',
          id,
          relation: 'patients',
          op,
          arg: { where: rng.bool() ? {} : { name: rng.pick(WORDS) } },
        };
      if (op === 'linkCreate')
        return {
          kind: 'nested',
          model: 'clinic',
          id,
          relation: 'treatmentsByClinic',
          op: 'create',
          arg: { id: `${tag}k`, treatmentId: rng.id(world.treatment) },
        };
      return {
        kind: 'nested',
        model: 'clinic',
        id,
        relation: 'treatmentsByClinic',
        op: 'deleteMany',
        arg: { where: {} },
      };
    }
  }
}

// ---------------------------------------------------------------- the ORM's expected effect
class Refused extends Error {
  constructor(readonly kind: 'not-found' | 'rejected-by-policy' | 'refused' | 'db-error') {
    super(kind);
  }
}

/** Applies one write to a copy of the world as the rules say createDb must; throws Refused when it must not happen. */
class Effect {
  readonly world: World;
  constructor(
    world: World,
    readonly session: Session,
  ) {
    this.world = cloneWorld(world);
  }
  audit(model: Model, action: string, recordId: unknown) {
    const s = this.session as NonNullable<Session>;
    this.world.auditLog.push({
      actorId: s.id,
      actorRole: s.role,
      model: TABLE[model],
      action,
      recordId: String(recordId),
    } as AuditRow);
  }
  conflicts(model: Model, row: Row, except?: Row): boolean {
    return conflicts(this.world, model, row, except);
  }
  create(model: Model, rows: Row[]): Row[] {
    if (model === 'auditLog' || rows.some((r) => !may(this.session, model, 'create', r)))
      throw new Refused(model === 'auditLog' ? 'refused' : 'rejected-by-policy');
    for (const row of rows) {
      if (this.conflicts(model, row)) throw new Refused('db-error');
      (this.world[model as DataModel] as Row[]).push({ ...row });
      this.audit(model, 'create', row.id);
    }
    return rows;
  }
  /** Rows the default client lets this session update, among `candidates`. */
  updatable(model: DataModel, candidates: Row[], includeDeleted = false): Row[] {
    return candidates.filter(
      (r) => (includeDeleted || model !== 'patient' || live(r)) && may(this.session, model, 'update', r),
    );
  }
  update(model: DataModel, targets: Row[], data: Row): Row[] {
    const after = targets.map((r) => ({ ...r, ...data }));
    if (after.some((r, i) => !mayUpdate(this.session, model, targets[i] as Row, r)))
      throw new Refused('rejected-by-policy');
    targets.forEach((r, i) => {
      const next = after[i] as Row;
      if (this.conflicts(model, next, r)) throw new Refused('db-error');
      const action = model === 'patient' && live(r) !== live(next) ? (live(next) ? 'restore' : 'delete') : 'update';
      Object.assign(r, next);
      this.audit(model, action, r.id);
    });
    return targets;
  }
  delete(model: DataModel, targets: Row[]): Row[] {
    if (model === 'patient') return this.update(model, targets, { deletedAt: 'set' });
    for (const r of targets) {
      for (const fk of FK[model] ?? [])
        if (this.world[fk.model].some((c) => c[fk.key] === r.id)) throw new Refused('db-error');
    }
    this.world[model] = this.world[model].filter((r) => !targets.includes(r));
    for (const r of targets) this.audit(model, 'delete', r.id);
    return targets;
  }
  /**
   * Whether the session's client finds the row at all: a refused update or
   * delete of such a row is rejected-by-policy, of any other not-found
   * (src/explain/refused-write.ts).
   */
  readable(model: DataModel, row: Row | undefined, includeDeleted = false): boolean {
    return !!row && (includeDeleted || model !== 'patient' || live(row)) && may(this.session, model, 'read', row);
  }
  /**
   * The refusal of a single-row update/delete that found no target. When the
   * session may do it to no row at all, the refusal is the same for every id
   * (rejected-by-policy, nothing read). Which rules count as "no row at all"
   * is the product's fold (src/rules): it picks the error's kind only; what
   * was written is still judged by the rules above alone.
   */
  refusal(model: DataModel, row: Row | undefined, action: 'update' | 'delete', includeDeleted = false): Refused {
    const modelName = model.charAt(0).toUpperCase() + model.slice(1);
    if (foldOperation(schema, modelName, action, this.session) === false) return new Refused('rejected-by-policy');
    return new Refused(this.readable(model, row, includeDeleted) ? 'rejected-by-policy' : 'not-found');
  }
  deletable(model: DataModel, candidates: Row[]): Row[] {
    return candidates.filter((r) => (model !== 'patient' || live(r)) && may(this.session, model, 'delete', r));
  }
  one(model: DataModel, id: string): Row | undefined {
    return this.world[model].find((r) => r.id === id);
  }
}

const ids = (rows: Row[]) => rows.map((r) => r.id as string).sort();

export function expectedWrite(world: World, session: Session, w: Write): Expected {
  const e = new Effect(world, session);
  try {
    const result = apply(e, w);
    return { outcome: { ok: true, result }, world: e.world };
  } catch (err) {
    if (err instanceof Refused) return { outcome: { ok: false, error: err.kind }, world };
    throw err;
  }
}

function apply(e: Effect, w: Write): unknown {
  switch (w.kind) {
    case 'create':
      return { id: e.create(w.model, w.rows)[0]?.id };
    case 'createMany':
      return { count: e.create(w.model, w.rows).length };
    case 'createManyAndReturn':
      return ids(e.create(w.model, w.rows));
    case 'update':
    case 'restore':
    case 'moveByConnect': {
      const data = w.kind === 'update' ? w.data : w.kind === 'restore' ? { deletedAt: null } : { clinicId: w.clinicId };
      const row = e.one(w.model, w.id);
      const target = row && e.updatable(w.model, [row], w.kind === 'restore')[0];
      if (!target) throw e.refusal(w.model, row, 'update', w.kind === 'restore');
      return { id: e.update(w.model, [target], data)[0]?.id };
    }
    case 'updateMany':
    case 'updateManyAndReturn': {
      const targets = e.updatable(
        w.model,
        e.world[w.model].filter((r) => scalarWhere(r, w.where)),
      );
      const done = e.update(w.model, targets, w.data);
      return w.kind === 'updateMany' ? { count: done.length } : ids(done);
    }
    case 'upsert': {
      const row = e.one(w.model, w.id);
      const target = row && e.updatable(w.model, [row])[0];
      if (target) return { id: e.update(w.model, [target], w.data)[0]?.id };
      return { id: e.create(w.model, [w.create])[0]?.id };
    }
    case 'delete': {
      const row = e.one(w.model, w.id);
      const target = row && e.deletable(w.model, [row])[0];
      if (!target) throw e.refusal(w.model, row, 'delete');
      return { id: e.delete(w.model, [target])[0]?.id };
    }
    case 'deleteMany':
      return {
        count: e.delete(
          w.model,
          e.deletable(
            w.model,
            e.world[w.model].filter((r) => scalarWhere(r, w.where)),
          ),
        ).length,
      };
    case 'nested': {
      const clinic = e.one('clinic', w.id);
      // The parent must be updatable; the nested part may be refused first (either kind).
      if (!clinic) throw new Refused('refused');
      if (!may(e.session, 'clinic', 'update', clinic)) throw new Refused('refused');
      const mine = (r: Row) => r.clinicId === clinic.id;
      if (w.relation === 'patients') {
        const where = (w.arg.where ?? {}) as Where;
        const candidates = e.world.patient.filter((r) => mine(r) && live(r) && scalarWhere(r, where));
        if (w.op === 'create') e.create('patient', [{ phone: null, deletedAt: null, ...w.arg, clinicId: clinic.id }]);
        if (w.op === 'updateMany') e.update('patient', e.updatable('patient', candidates), w.arg.data as Row);
        if (w.op === 'deleteMany') e.delete('patient', e.deletable('patient', candidates));
        if (w.op === 'update') {
          const target = e.updatable('patient', candidates)[0];
          if (!target) throw new Refused('not-found');
          e.update('patient', [target], w.arg.data as Row);
        }
      } else if (w.op === 'create') {
        e.create('treatmentsByClinic', [{ priceOverride: null, notes: null, ...w.arg, clinicId: clinic.id }]);
      } else {
        e.delete('treatmentsByClinic', e.world.treatmentsByClinic.filter(mine));
      }
      e.audit('clinic', 'update', clinic.id); // the parent's updatedAt, see src/nested-write-parent.ts
      return { id: clinic.id };
    }
  }
}

// ---------------------------------------------------------------- the ORM call
const toOrm = (data: Row) =>
  Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, k === 'deletedAt' && v !== null ? new Date('2026-02-03T04:05:06Z') : v]),
  );

/** Runs `w` on a createDb client (or transaction); `restore` needs the includeDeleted client. */
export async function runOrmWrite(
  db: Record<string, Record<string, (a: unknown) => Promise<unknown>>>,
  w: Write,
): Promise<unknown> {
  const d = db[w.model] as Record<string, (a: unknown) => Promise<unknown>>;
  const pickId = (r: unknown) => ({ id: (r as Row).id });
  const sortIds = (rows: unknown) => (rows as Row[]).map((r) => r.id as string).sort();
  switch (w.kind) {
    case 'create':
      return pickId(await d.create?.({ data: toOrm(w.rows[0] as Row) }));
    case 'createMany':
      return d.createMany?.({ data: w.rows.map(toOrm) });
    case 'createManyAndReturn':
      return sortIds(await d.createManyAndReturn?.({ data: w.rows.map(toOrm) }));
    case 'update':
      return pickId(await d.update?.({ where: { id: w.id }, data: toOrm(w.data) }));
    case 'restore':
      return pickId(await d.update?.({ where: { id: w.id }, data: { deletedAt: null } }));
    case 'moveByConnect':
      return pickId(await d.update?.({ where: { id: w.id }, data: { clinic: { connect: { id: w.clinicId } } } }));
    case 'updateMany':
      return d.updateMany?.({ where: w.where, data: toOrm(w.data) });
    case 'updateManyAndReturn':
      return sortIds(await d.updateManyAndReturn?.({ where: w.where, data: toOrm(w.data) }));
    case 'upsert':
      return pickId(await d.upsert?.({ where: { id: w.id }, create: toOrm(w.create), update: toOrm(w.data) }));
    case 'delete':
      return pickId(await d.delete?.({ where: { id: w.id } }));
    case 'deleteMany':
      return d.deleteMany?.({ where: w.where });
    case 'nested': {
      const arg = w.arg.data
        ? { ...w.arg, data: toOrm(w.arg.data as Row) }
        : w.op === 'deleteMany'
          ? w.arg.where
          : w.arg;
      return pickId(await d.update?.({ where: { id: w.id }, data: { [w.relation]: { [w.op]: arg } } }));
    }
  }
}
