import type { SchemaDef } from '@zenstackhq/orm/schema';

type Args = Record<string, unknown>;

/**
 * The columns an upsert's `INSERT … ON CONFLICT (…)` can name, or undefined
 * (plain path): `where` is exactly one unique key of the model (a field, the
 * id, or a compound `a_b`) with plain values, and `create` repeats each value,
 * so a conflict on that key is a conflict with the row `where` names. Whether
 * PostgreSQL has the unique index is its answer: 42P10 falls back (upsert-cte.ts).
 */
export function upsertKey(schema: SchemaDef, model: string, args: Args): string[] | undefined {
  const { where, create, update } = args;
  if (!isPlainObject(where) || !isPlainObject(create) || !isPlainObject(update)) return undefined;
  if (Object.keys(update).length === 0) return undefined;
  const keys = Object.keys(where);
  if (keys.length !== 1) return undefined;
  const name = keys[0] as string;
  const def = (schema.models[model]?.uniqueFields as Record<string, object> | undefined)?.[name];
  if (!def) return undefined;
  const values: Args = 'type' in def ? { [name]: where[name] } : (where[name] as Args);
  if (!isPlainObject(values)) return undefined;
  const columns = 'type' in def ? [name] : Object.keys(def);
  if (Object.keys(values).length !== columns.length) return undefined;
  for (const c of columns) {
    const v = values[c];
    if (v === null || (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')) return undefined;
    if (create[c] !== v) return undefined;
  }
  return columns;
}

/** An object literal's value (not a class instance, array or null): the only argument shape the fast paths read. */
export function isPlainObject(v: unknown): v is Args {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
