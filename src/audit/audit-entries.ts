import { QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { perModel } from '../per-model.ts';
import { softDeleteField } from '../rules/index.ts';

export const AUDIT_MODEL = 'AuditLog';
export type AuditAction = 'create' | 'update' | 'delete' | 'restore';
export type Row = Record<string, unknown>;

export interface AuditEntry {
  model: string;
  action: AuditAction;
  recordId: string;
  /** Changed fields as they were (update), the whole record (delete), or null (create). */
  before: Row | null;
  /** Changed fields as they are (update), the whole record (create), or null (delete). */
  after: Row | null;
}

/**
 * One entry per touched record. `before` are the rows an UPDATE locked
 * beforehand; `after` the rows the statement returned (for a DELETE, the
 * rows as they were). An UPDATE that sets a soft-delete marker is recorded as
 * a `delete`, one that clears it as a `restore`.
 */
export function auditEntries(
  schema: SchemaDef,
  model: string,
  action: 'create' | 'update' | 'delete',
  before: Row[] | undefined,
  after: Row[],
): AuditEntry[] {
  const fields = columnsOf(schema, model);
  const idFields = QueryUtils.requireIdFields(schema, model);
  const recordId = (row: Row) => idFields.map((f) => String(row[f])).join(':');
  const pick = (row: Row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? null]));

  if (action === 'create') return after.map((row) => entry(model, 'create', recordId(row), null, pick(row)));
  if (action === 'delete') return after.map((row) => entry(model, 'delete', recordId(row), pick(row), null));

  const previous = new Map((before ?? []).map((row) => [recordId(row), row]));
  const marker = softDeleteField(schema, model);
  return after.map((row) => {
    const id = recordId(row);
    const old = previous.get(id) ?? {};
    const changed = fields.filter((f) => !sameValue(old[f], row[f]));
    let kind: AuditAction = 'update';
    if (marker && changed.includes(marker)) kind = row[marker] == null ? 'restore' : 'delete';
    return entry(
      model,
      kind,
      id,
      Object.fromEntries(changed.map((f) => [f, old[f] ?? null])),
      Object.fromEntries(changed.map((f) => [f, row[f] ?? null])),
    );
  });
}

function entry(
  model: string,
  action: AuditAction,
  recordId: string,
  before: Row | null,
  after: Row | null,
): AuditEntry {
  return { model, action, recordId, before, after };
}

/** The model's stored columns (relation fields have none). */
export const columnsOf = perModel((schema, model) =>
  Object.values(QueryUtils.requireModel(schema, model).fields)
    .filter((f) => !f.relation)
    .map((f) => f.name),
);

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return (a ?? null) === (b ?? null);
}
