/**
 * Random reads and what they must return. A read is generated as plain data
 * (the ORM arguments are derived from it) and evaluated here in JavaScript
 * over the rows the oracle lets the session see: every table, including the
 * ones a relation filter, include or _count reaches, is first cut down to
 * the session's visible rows. Filters on nullable columns are only null
 * tests, so two-valued logic matches SQL's three-valued one.
 */

import type { Rng } from './rng.ts';
import { type Model, may, type Row, type Session } from './rules-oracle.ts';
import { byId, COLUMNS, WORDS, type World } from './world.ts';

type DataModel = Exclude<Model, 'auditLog'>;
interface Relation {
  target: DataModel;
  many: boolean;
  /** many: the child's column pointing here; one: this row's column pointing there. */
  key: string;
}
export const RELATIONS: Record<DataModel, Record<string, Relation>> = {
  clinic: {
    treatmentsByClinic: { target: 'treatmentsByClinic', many: true, key: 'clinicId' },
    patients: { target: 'patient', many: true, key: 'clinicId' },
    memberships: { target: 'clinicMembership', many: true, key: 'clinicId' },
  },
  treatment: { treatmentsByClinic: { target: 'treatmentsByClinic', many: true, key: 'treatmentId' } },
  treatmentsByClinic: {
    clinic: { target: 'clinic', many: false, key: 'clinicId' },
    treatment: { target: 'treatment', many: false, key: 'treatmentId' },
  },
  patient: { clinic: { target: 'clinic', many: false, key: 'clinicId' } },
  clinicMembership: { clinic: { target: 'clinic', many: false, key: 'clinicId' } },
};
const STRINGS: Record<DataModel, string[]> = {
  clinic: ['name', 'code'],
  treatment: ['name'],
  treatmentsByClinic: ['clinicId', 'treatmentId'],
  patient: ['name', 'email', 'clinicId'],
  clinicMembership: ['userId', 'clinicId'],
};
const NULLABLE: Record<DataModel, string[]> = {
  clinic: [],
  treatment: ['description', 'maintenanceIntervalMonths'],
  treatmentsByClinic: ['priceOverride', 'notes'],
  patient: ['phone'],
  clinicMembership: [],
};

/** What the session sees of each table (soft delete hides tombstones unless `includeDeleted`). */
export function visible(world: World, session: Session, includeDeleted: boolean): Record<DataModel, Row[]> {
  const out = {} as Record<DataModel, Row[]>;
  for (const m of Object.keys(COLUMNS) as DataModel[]) {
    out[m] = world[m].filter(
      (r) => may(session, m, 'read', r) && (m !== 'patient' || includeDeleted || r.deletedAt === null),
    );
  }
  return out;
}

// ---------------------------------------------------------------- where
export type Where = Record<string, unknown>;

export function randomWhere(rng: Rng, world: World, model: DataModel, depth = 0): Where {
  const roll = rng.int(0, depth >= 2 ? 3 : 6);
  const values = (col: string) => [...new Set(world[model].map((r) => r[col]))].filter((v) => v !== null);
  if (roll <= 1) {
    const col = rng.pick(STRINGS[model]);
    const pool = [...values(col), ...WORDS.slice(0, 2)] as string[];
    const v = rng.pick(pool);
    switch (rng.int(0, 5)) {
      case 0:
        return { [col]: v };
      case 1:
        return { [col]: { not: v } };
      case 2:
        return { [col]: { in: rng.sample(pool, rng.int(0, 3)) } };
      case 3:
        return { [col]: { notIn: rng.sample(pool, rng.int(1, 2)) } };
      case 4:
        return { [col]: { startsWith: v.slice(0, rng.int(1, 3)) } };
      default:
        return { [col]: { contains: v.slice(1, 3) } };
    }
  }
  if (roll === 2 && NULLABLE[model].length > 0) {
    const col = rng.pick(NULLABLE[model]);
    return rng.bool() ? { [col]: null } : { [col]: { not: null } };
  }
  if (roll === 2 && model === 'treatment') {
    return { price: { [rng.pick(['lt', 'lte', 'gt', 'gte'])]: rng.int(0, 500) } };
  }
  if (roll === 3) return { id: rng.bool(0.7) ? rng.id(world[model]) : 'missing' };
  if (roll === 4)
    return { AND: [randomWhere(rng, world, model, depth + 1), randomWhere(rng, world, model, depth + 1)] };
  if (roll === 5) return { OR: [randomWhere(rng, world, model, depth + 1), randomWhere(rng, world, model, depth + 1)] };
  const rels = Object.entries(RELATIONS[model]);
  if (roll === 6 && rels.length > 0) {
    const [name, rel] = rng.pick(rels);
    const inner = randomWhere(rng, world, rel.target, depth + 1);
    if (rel.many) return { [name]: { [rng.pick(['some', 'none', 'every'])]: inner } };
    return { [name]: { [rng.pick(['is', 'isNot'])]: inner } };
  }
  return { NOT: randomWhere(rng, world, model, depth + 1) };
}

function related(view: Record<DataModel, Row[]>, model: DataModel, row: Row, name: string): Row[] {
  const rel = RELATIONS[model][name] as Relation;
  if (rel.many) return view[rel.target].filter((c) => c[rel.key] === row.id);
  return view[rel.target].filter((c) => c.id === row[rel.key]);
}

export function matches(view: Record<DataModel, Row[]>, model: DataModel, row: Row, where: Where): boolean {
  return Object.entries(where).every(([key, cond]) => {
    if (key === 'AND') return (cond as Where[]).every((w) => matches(view, model, row, w));
    if (key === 'OR') return (cond as Where[]).some((w) => matches(view, model, row, w));
    if (key === 'NOT') return !matches(view, model, row, cond as Where);
    if (RELATIONS[model][key]) {
      const rel = RELATIONS[model][key] as Relation;
      const [op, inner] = Object.entries(cond as Where)[0] as [string, Where];
      const rows = related(view, model, row, key);
      const hit = (r: Row) => matches(view, rel.target, r, inner);
      if (op === 'some') return rows.some(hit);
      if (op === 'none') return !rows.some(hit);
      if (op === 'every') return rows.every(hit);
      if (op === 'is') return rows.length > 0 && rows.every(hit);
      return !(rows.length > 0 && rows.every(hit)); // isNot
    }
    return scalar(row[key], cond);
  });
}

function scalar(value: unknown, cond: unknown): boolean {
  if (cond === null) return value === null;
  if (typeof cond !== 'object') return value === cond;
  const [op, arg] = Object.entries(cond as object)[0] as [string, unknown];
  if (op === 'not' && arg === null) return value !== null;
  if (value === null) return false;
  const n = (v: unknown) => Number(v);
  switch (op) {
    case 'not':
      return value !== arg;
    case 'in':
      return (arg as unknown[]).includes(value);
    case 'notIn':
      return !(arg as unknown[]).includes(value);
    case 'startsWith':
      return String(value).startsWith(String(arg));
    case 'contains':
      return String(value).includes(String(arg));
    case 'lt':
      return n(value) < n(arg);
    case 'lte':
      return n(value) <= n(arg);
    case 'gt':
      return n(value) > n(arg);
    case 'gte':
      return n(value) >= n(arg);
    default:
      throw new Error(`oracle: unknown operator ${op}`);
  }
}

// ---------------------------------------------------------------- reads
export type Read =
  | { kind: 'findMany'; model: DataModel; where: Where; order: Order; take?: number; skip?: number; shape: Shape }
  | { kind: 'findFirst'; model: DataModel; where: Where; order: Order; shape: Shape }
  | { kind: 'findUnique'; model: DataModel; id: string; shape: Shape }
  | { kind: 'count' | 'exists'; model: DataModel; where: Where }
  | { kind: 'aggregate'; model: DataModel; where: Where }
  | { kind: 'groupBy'; model: 'patient' | 'treatmentsByClinic' | 'clinicMembership'; where: Where };
/** Sort by a column or a relation's count, then by id. */
export type Order = { by: string; count: boolean; dir: 'asc' | 'desc' };
/** Which columns, which relations (each with its own shape) and which relation counts a row carries. */
export interface Shape {
  fields: string[];
  include: Record<string, Shape>;
  counts: string[];
}

function randomShape(rng: Rng, model: DataModel, depth = 0): Shape {
  const cols = COLUMNS[model];
  const fields = rng.bool(0.6) ? cols : ['id', ...rng.sample(cols.slice(1), rng.int(0, 2))];
  const include: Record<string, Shape> = {};
  const counts: string[] = [];
  for (const [name, rel] of Object.entries(RELATIONS[model])) {
    if (depth < 1 && rng.bool(0.3)) include[name] = randomShape(rng, rel.target, depth + 1);
    if (rel.many && rng.bool(0.3)) counts.push(name);
  }
  return { fields, include, counts };
}

function randomOrder(rng: Rng, model: DataModel): Order {
  const many = Object.entries(RELATIONS[model]).filter(([, r]) => r.many);
  const dir = rng.pick(['asc', 'desc'] as const);
  if (many.length > 0 && rng.bool(0.3)) return { by: rng.pick(many)[0], count: true, dir };
  return { by: rng.pick(['id', ...STRINGS[model].filter((c) => !c.endsWith('Id'))]), count: false, dir };
}

const DATA_MODELS = Object.keys(COLUMNS) as DataModel[];

export function randomRead(rng: Rng, world: World): Read {
  const model = rng.pick(DATA_MODELS);
  const where = rng.bool(0.8) ? randomWhere(rng, world, model) : {};
  const kind = rng.pick([
    'findMany',
    'findMany',
    'findMany',
    'findFirst',
    'findUnique',
    'count',
    'exists',
    'aggregate',
    'groupBy',
  ] as const);
  switch (kind) {
    case 'findMany':
      return {
        kind,
        model,
        where,
        order: randomOrder(rng, model),
        take: rng.bool(0.4) ? rng.int(0, 4) : undefined,
        skip: rng.bool(0.3) ? rng.int(0, 3) : undefined,
        shape: randomShape(rng, model),
      };
    case 'findFirst':
      return { kind, model, where, order: randomOrder(rng, model), shape: randomShape(rng, model) };
    case 'findUnique':
      return {
        kind,
        model,
        id: rng.bool(0.85) ? rng.id(world[model]) : 'missing',
        shape: randomShape(rng, model),
      };
    case 'groupBy':
      return { kind, model: rng.pick(['patient', 'treatmentsByClinic', 'clinicMembership'] as const), where: {} };
    default:
      return { kind, model, where };
  }
}

// ---------------------------------------------------------------- ORM arguments
function shapeArgs(shape: Shape): Record<string, unknown> {
  const select: Record<string, unknown> = Object.fromEntries(shape.fields.map((f) => [f, true]));
  for (const [name, inner] of Object.entries(shape.include)) {
    const many = Object.values(RELATIONS).some((r) => r[name]?.many);
    select[name] = many ? { ...shapeArgs(inner), orderBy: { id: 'asc' } } : shapeArgs(inner);
  }
  if (shape.counts.length > 0) select._count = { select: Object.fromEntries(shape.counts.map((c) => [c, true])) };
  return { select };
}
const orderArgs = (o: Order) => [
  o.count ? { [o.by]: { _count: o.dir } } : { [o.by]: o.dir },
  ...(o.by === 'id' ? [] : [{ id: 'asc' }]),
];

/** The ORM call for a read: method name and arguments. */
export function readArgs(read: Read): { method: string; args: Record<string, unknown> } {
  switch (read.kind) {
    case 'findMany':
      return {
        method: 'findMany',
        args: {
          where: read.where,
          orderBy: orderArgs(read.order),
          take: read.take,
          skip: read.skip,
          ...shapeArgs(read.shape),
        },
      };
    case 'findFirst':
      return {
        method: 'findFirst',
        args: { where: read.where, orderBy: orderArgs(read.order), ...shapeArgs(read.shape) },
      };
    case 'findUnique':
      return { method: 'findUnique', args: { where: { id: read.id }, ...shapeArgs(read.shape) } };
    case 'count':
    case 'exists':
      return { method: read.kind, args: { where: read.where } };
    case 'aggregate':
      return {
        method: 'aggregate',
        args: {
          where: read.where,
          _count: true,
          ...(read.model === 'treatment' ? { _max: { price: true }, _min: { price: true } } : {}),
        },
      };
    case 'groupBy':
      return { method: 'groupBy', args: { by: ['clinicId'], _count: { _all: true }, orderBy: { clinicId: 'asc' } } };
  }
}

// ---------------------------------------------------------------- expected results
function project(view: Record<DataModel, Row[]>, model: DataModel, row: Row, shape: Shape): Row {
  const out: Row = Object.fromEntries(shape.fields.map((f) => [f, row[f]]));
  for (const [name, inner] of Object.entries(shape.include)) {
    const rel = RELATIONS[model][name] as Relation;
    const rows = related(view, model, row, name);
    out[name] = rel.many
      ? byId(rows).map((r) => project(view, rel.target, r, inner))
      : rows[0]
        ? project(view, rel.target, rows[0], inner)
        : null;
  }
  if (shape.counts.length > 0)
    out._count = Object.fromEntries(shape.counts.map((c) => [c, related(view, model, row, c).length]));
  return out;
}

function sorted(view: Record<DataModel, Row[]>, model: DataModel, rows: Row[], o: Order): Row[] {
  const key = (r: Row) => (o.count ? related(view, model, r, o.by).length : (r[o.by] as string));
  const sign = o.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x !== y) return (x < y ? -1 : 1) * sign;
    if (o.by === 'id') return 0;
    return String(a.id) < String(b.id) ? -1 : 1;
  });
}

export function expectedRead(world: World, session: Session, read: Read, includeDeleted: boolean): unknown {
  const view = visible(world, session, includeDeleted);
  const all = view[read.model];
  const hits = 'where' in read ? all.filter((r) => matches(view, read.model, r, read.where)) : all;
  switch (read.kind) {
    case 'findMany': {
      const rows = sorted(view, read.model, hits, read.order).slice(read.skip ?? 0);
      return (read.take === undefined ? rows : rows.slice(0, read.take)).map((r) =>
        project(view, read.model, r, read.shape),
      );
    }
    case 'findFirst': {
      const first = sorted(view, read.model, hits, read.order)[0];
      return first ? project(view, read.model, first, read.shape) : null;
    }
    case 'findUnique': {
      const row = all.find((r) => r.id === read.id);
      return row ? project(view, read.model, row, read.shape) : null;
    }
    case 'count':
      return hits.length;
    case 'exists':
      return hits.length > 0;
    case 'aggregate': {
      if (read.model !== 'treatment') return { _count: hits.length };
      const prices = hits.map((r) => Number(r.price));
      // ZenStack 3.9.4 returns Decimal aggregates as JavaScript numbers.
      const fmt = (v: number | undefined) => (v === undefined ? null : v);
      return {
        _count: hits.length,
        _max: { price: fmt(prices.length ? Math.max(...prices) : undefined) },
        _min: { price: fmt(prices.length ? Math.min(...prices) : undefined) },
      };
    }
    case 'groupBy': {
      const groups = new Map<string, number>();
      for (const r of all) groups.set(r.clinicId as string, (groups.get(r.clinicId as string) ?? 0) + 1);
      return [...groups.keys()].sort().map((clinicId) => ({ clinicId, _count: { _all: groups.get(clinicId) } }));
    }
  }
}
