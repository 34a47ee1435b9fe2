import Decimal from 'decimal.js';

type Row = Record<string, unknown>;
/** The part of a ZenStack model delegate the seed needs (structural, so any model fits). */
export interface SeedDelegate {
  findMany(args: { where: Row }): Promise<Row[]>;
  createMany(args: { data: Row[]; skipDuplicates: true }): Promise<{ count: number }>;
  update(args: { where: Row; data: Row }): Promise<unknown>;
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Decimal || b instanceof Decimal)
    return a != null && b != null && new Decimal(a as Decimal.Value).eq(b as Decimal.Value);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

/** The seed's fields whose value differs from the stored row's. */
function changedFields(stored: Row, seed: Row): Row {
  return Object.fromEntries(Object.entries(seed).filter(([field, value]) => !same(stored[field], value)));
}

/**
 * Inserts the seed rows that are missing (by `key`); with `reset`, also writes
 * back the fields of existing rows that differ from the seed. Rows that already
 * match are never written, so they get no audit row and keep their updatedAt.
 */
export async function syncRows(
  delegate: unknown,
  rows: Row[],
  key: string[],
  reset: boolean,
): Promise<{ created: number; restored: number }> {
  const model = delegate as SeedDelegate;
  const id = (r: Row) => JSON.stringify(key.map((k) => r[k]));
  const where =
    key.length === 1
      ? { [key[0] as string]: { in: rows.map((r) => r[key[0] as string]) } }
      : { OR: rows.map((r) => Object.fromEntries(key.map((k) => [k, r[k]]))) };
  const stored = new Map((await model.findMany({ where })).map((r) => [id(r), r]));
  const missing = rows.filter((r) => !stored.has(id(r)));
  // A missing seed row whose unique value a user has since taken (a clinic code) is left out, not an error.
  const created = missing.length ? (await model.createMany({ data: missing, skipDuplicates: true })).count : 0;
  let restored = 0;
  if (reset) {
    for (const row of rows) {
      const current = stored.get(id(row));
      const data = current && changedFields(current, row);
      if (!data || Object.keys(data).length === 0) continue;
      const unique =
        key.length === 1
          ? { [key[0] as string]: row[key[0] as string] }
          : { [key.join('_')]: Object.fromEntries(key.map((k) => [k, row[k]])) };
      await model.update({ where: unique, data });
      restored++;
    }
  }
  return { created, restored };
}
