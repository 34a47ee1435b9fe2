/**
 * PostgreSQL accepts at most 65,535 bind parameters per statement, and
 * ZenStack's `createMany` sends one INSERT for all rows: 20,000 rows of five
 * columns fail with 08P01. This splits the rows into statements that fit and
 * runs them in one transaction, so a bulk insert is still all-or-nothing.
 */
import { schema } from '../zenstack/schema.ts';

const MAX_BIND_PARAMETERS = 65_535;
/** Headroom for parameters ZenStack adds beyond the row values (defaults, policy filters). */
const SAFETY = 0.9;

type CreateManyDelegate = {
  createMany(args: { data: object[]; skipDuplicates?: boolean }): Promise<{ count: number }>;
};
type RunInTransaction = <T>(fn: (tx: Record<string, CreateManyDelegate>) => Promise<T>) => Promise<T>;

/** Columns an INSERT into the model can carry: every scalar field (defaults and @updatedAt included). */
function scalarColumns(delegate: string): number {
  const model = Object.values(schema.models).find((m) => m.name[0]?.toLowerCase() + m.name.slice(1) === delegate);
  if (!model) throw new Error(`Unknown model delegate "${delegate}"`);
  return Object.values(model.fields).filter((f) => !('relation' in f)).length;
}

/** Rows per statement for rows of `columns` values each. */
export function rowsPerStatement(columns: number): number {
  return Math.max(1, Math.floor((MAX_BIND_PARAMETERS * SAFETY) / Math.max(1, columns)));
}

/**
 * @example
 * await createManyChunked(createDb(admin), 'clinic', rows); // => 20000
 */
export async function createManyChunked<Db extends { $transaction: unknown }>(
  db: Db,
  model: Extract<keyof Db, string>,
  rows: readonly object[],
  options: { skipDuplicates?: boolean; chunkSize?: number } = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const size = options.chunkSize ?? rowsPerStatement(scalarColumns(model));
  return (db.$transaction as RunInTransaction)(async (tx) => {
    const delegate = tx[model] as CreateManyDelegate;
    let count = 0;
    for (let i = 0; i < rows.length; i += size) {
      const data = rows.slice(i, i + size) as object[];
      count += (await delegate.createMany({ data, ...(options.skipDuplicates ? { skipDuplicates: true } : {}) })).count;
    }
    return count;
  });
}
