/**
 * The third layer: plain SQL on the app role with the session context set by
 * hand (`set_config('acme.auth', …, true)`, as src/rls does), so only
 * PostgreSQL's row-level security (zenstack/rls.sql) stands between the
 * session and the rows. A write is sent as the flat statement it comes down
 * to; row-level security cannot know nesting (the ORM refuses a nested write
 * under a parent the session may not update), so the SQL form of a nested
 * write is judged by the child's rules alone. Expected outcomes follow
 * PostgreSQL's rules: UPDATE and DELETE touch rows that pass SELECT and the
 * command's USING; an UPDATE's new rows must pass WITH CHECK and SELECT,
 * otherwise the statement fails (42501) and changes nothing.
 */
import type pg from 'pg';
import { AUDIT_SQL_INSERT, type Model, may, type Row, type Session } from './rules-oracle.ts';
import { type AuditRow, COLUMNS, cloneWorld, TABLE, type World } from './world.ts';
import { conflicts, type Where, type Write } from './writes.ts';

type DataModel = Exclude<Model, 'auditLog'>;
export type SqlOutcome = { ok: true; count: number } | { ok: false };
const STAMP = new Date('2026-02-03T04:05:06Z');
const toSql = (k: string, v: unknown) => (k === 'deletedAt' && v !== null && v !== undefined ? STAMP : (v ?? null));
const FK: Partial<Record<DataModel, { model: DataModel; key: string }[]>> = {
  clinic: [
    { model: 'treatmentsByClinic', key: 'clinicId' },
    { model: 'patient', key: 'clinicId' },
    { model: 'clinicMembership', key: 'clinicId' },
  ],
  treatment: [{ model: 'treatmentsByClinic', key: 'treatmentId' }],
};

/** One flat statement: an INSERT of rows, or an UPDATE / DELETE of the rows matching `where`. */
type Flat =
  | { op: 'insert'; model: Model; rows: Row[] }
  | { op: 'update'; model: DataModel; where: Where; data: Row }
  | { op: 'delete'; model: DataModel; where: Where };

export function flatten(w: Write): Flat {
  switch (w.kind) {
    case 'create':
    case 'createMany':
    case 'createManyAndReturn':
      return { op: 'insert', model: w.model, rows: w.rows };
    case 'update':
    case 'upsert':
      return { op: 'update', model: w.model, where: { id: w.id }, data: w.data };
    case 'restore':
      return { op: 'update', model: 'patient', where: { id: w.id }, data: { deletedAt: null } };
    case 'moveByConnect':
      return { op: 'update', model: 'patient', where: { id: w.id }, data: { clinicId: w.clinicId } };
    case 'updateMany':
    case 'updateManyAndReturn':
      return { op: 'update', model: w.model, where: w.where, data: w.data };
    case 'delete':
      return { op: 'delete', model: w.model, where: { id: w.id } };
    case 'deleteMany':
      return { op: 'delete', model: w.model, where: w.where };
    case 'nested': {
      const child = w.relation === 'patients' ? 'patient' : 'treatmentsByClinic';
      const where = { ...((w.arg.where as Where) ?? {}), clinicId: w.id };
      if (w.op === 'create') {
        const row =
          child === 'patient'
            ? { phone: null, deletedAt: null, ...w.arg }
            : { priceOverride: null, notes: null, ...w.arg };
        return { op: 'insert', model: child, rows: [{ ...row, clinicId: w.id }] };
      }
      if (w.op === 'deleteMany') return { op: 'delete', model: child, where };
      return { op: 'update', model: child, where, data: w.arg.data as Row };
    }
  }
}

const matches = (r: Row, w: Where) =>
  Object.entries(w).every(([k, v]) =>
    v !== null && typeof v === 'object' && 'in' in v ? (v.in as unknown[]).includes(r[k]) : r[k] === v,
  );

/** What the flat statement must do under row-level security. */
export function expectedSql(world: World, session: Session, f: Flat): { outcome: SqlOutcome; world: World } {
  const next = cloneWorld(world);
  const fail = { outcome: { ok: false } as SqlOutcome, world };
  if (f.op === 'insert') {
    if (f.model === 'auditLog') {
      if (!f.rows.every((r) => AUDIT_SQL_INSERT(session, r))) return fail;
      next.auditLog.push(...(f.rows as unknown as AuditRow[]));
      return { outcome: { ok: true, count: f.rows.length }, world: next };
    }
    const model = f.model;
    for (const row of f.rows) {
      if (!may(session, model, 'create', row) || conflicts(next, model, row)) return fail;
      next[model].push({ ...row });
    }
    return { outcome: { ok: true, count: f.rows.length }, world: next };
  }
  const model = f.model;
  const seen = (r: Row) => matches(r, f.where) && may(session, model, 'read', r);
  if (f.op === 'update') {
    const targets = next[model].filter((r) => seen(r) && may(session, model, 'update', r));
    for (const r of targets) {
      const after = { ...r, ...f.data };
      if (!may(session, model, 'postUpdate', after) || !may(session, model, 'read', after)) return fail;
      if (conflicts(next, model, after, r)) return fail;
      Object.assign(r, after);
    }
    return { outcome: { ok: true, count: targets.length }, world: next };
  }
  const targets = next[model].filter((r) => seen(r) && may(session, model, 'delete', r));
  for (const r of targets)
    for (const fk of FK[model] ?? []) if (next[fk.model].some((c) => c[fk.key] === r.id)) return fail;
  next[model] = next[model].filter((r) => !targets.includes(r));
  return { outcome: { ok: true, count: targets.length }, world: next };
}

function whereSql(w: Where, params: unknown[]): string {
  const parts = Object.entries(w).map(([k, v]) => {
    if (v !== null && typeof v === 'object' && 'in' in v) {
      params.push(v.in);
      return `"${k}" = ANY($${params.length})`;
    }
    params.push(v);
    return `"${k}" = $${params.length}`;
  });
  return parts.length ? parts.join(' AND ') : 'true';
}

/** Sends `f` as one statement in a transaction carrying `context`; a refused statement rolls back. */
export async function runSql(app: pg.Pool, context: string, f: Flat): Promise<SqlOutcome & { error?: string }> {
  const params: unknown[] = [];
  let text: string;
  if (f.op === 'insert') {
    const cols =
      f.model === 'auditLog'
        ? ['actorId', 'actorRole', 'model', 'action', 'recordId']
        : [...COLUMNS[f.model], 'updatedAt'];
    const tuples = f.rows.map((row) => {
      const vals = cols.map((c) => (c === 'updatedAt' ? new Date() : toSql(c, row[c])));
      return `(${vals.map((v) => `$${params.push(v)}`).join(', ')})`;
    });
    text = `INSERT INTO "${TABLE[f.model]}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`;
  } else if (f.op === 'update') {
    const sets = Object.entries(f.data).map(([k, v]) => `"${k}" = $${params.push(toSql(k, v))}`);
    text = `UPDATE "${TABLE[f.model]}" SET ${sets.join(', ')} WHERE ${whereSql(f.where, params)}`;
  } else {
    text = `DELETE FROM "${TABLE[f.model]}" WHERE ${whereSql(f.where, params)}`;
  }
  const c = await app.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('acme.auth', $1, true)`, [context]);
    const r = await c.query(text, params);
    await c.query('COMMIT');
    return { ok: true, count: r.rowCount ?? 0 };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    return { ok: false, error: (err as { code?: string }).code };
  } finally {
    c.release();
  }
}

/** Every row of `model` the context lets the app role see, compared columns only, by id. */
export async function sqlVisible(app: pg.Pool, context: string, model: DataModel): Promise<Row[] | { error: string }> {
  const cols = COLUMNS[model].map((c) => `"${c}"${c === 'price' || c === 'priceOverride' ? '::text' : ''}`);
  const c = await app.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('acme.auth', $1, true)`, [context]);
    const { rows } = await c.query(`SELECT ${cols.join(', ')} FROM "${TABLE[model]}" ORDER BY id`);
    return rows.map((r) => ({
      ...r,
      ...(model === 'patient' ? { deletedAt: r.deletedAt === null ? null : 'set' } : {}),
    }));
  } catch (err) {
    return { error: String((err as { code?: string }).code ?? err) };
  } finally {
    await c.query('ROLLBACK').catch(() => {});
    c.release();
  }
}
