/**
 * explain()'s verdicts against what createDb(session) actually does, on
 * random sessions and rows of every model: reads through the session's
 * client, and every write attempted for real inside a transaction that is
 * rolled back. Zero disagreements, and the database is unchanged afterwards.
 */
import type { SessionInput } from '@acme/auth';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModelName } from '../../src/explain/explain.ts';
import { createDb, explain, loadSession, ORMError, type PolicyOperation } from '../../src/index.ts';
import { schema } from '../../zenstack/schema.ts';
import { openUnrestrictedDb, snapshot } from '../support/fixtures.ts';
import { arrangeWorld, prng, randomSession } from './random-cases.ts';

// Fixed, so a disagreement replays; change it locally to explore other cases.
const SEED = 19_2026;
const CASES = 300;
// Every model of the schema: a new one is covered without an edit here (once arrangeWorld gives it rows).
const MODELS = Object.keys(schema.models) as ModelName[];
type FieldDef = { name: string; type: string; id?: boolean; relation?: unknown; foreignKeyFor?: unknown };
/**
 * A field an update sets to the value it already has, so the rules judge the same row before and after: the
 * model's first text field that is neither its id, a foreign key, generated nor managed (`@updatedAt`).
 */
const sameValueField = (model: ModelName): string => {
  const fields = Object.values(schema.models[model].fields) as (FieldDef & {
    default?: unknown;
    updatedAt?: unknown;
  })[];
  const field = fields.find(
    (f) => f.type === 'String' && !f.id && !f.relation && !f.foreignKeyFor && f.default === undefined && !f.updatedAt,
  );
  if (!field) throw new Error(`${model} has no plain text field for a same-value update`);
  return field.name;
};
// Not copied into a create: generated, or JSON the copy does not need.
const SKIP_ON_CREATE = new Set(['id', 'createdAt', 'updatedAt', 'occurredAt', 'txId', 'before', 'after']);

const raw = openUnrestrictedDb();
afterAll(() => raw.$disconnect());
const r = prng(SEED);
let world: Awaited<ReturnType<typeof arrangeWorld>>;
const loaded = new Map<string, SessionInput>();

beforeAll(async () => {
  world = await arrangeWorld(raw, r);
  for (const id of world.users) loaded.set(id, await loadSession({ id, role: 'USER' }));
});

class Rollback extends Error {
  constructor(readonly result: unknown) {
    super('rollback');
  }
}
type Observed = 'allowed' | 'filtered' | 'rejected' | `error: ${string}`;
const delegate = (db: unknown, model: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: delegates picked by model name
  (db as any)[model.charAt(0).toLowerCase() + model.slice(1)];

/** Runs a write as the session and rolls it back: allowed (count 1), filtered (count 0), rejected by policy. */
async function attempt(
  session: SessionInput | null,
  includeDeleted: boolean,
  write: (tx: unknown) => Promise<unknown>,
) {
  try {
    await createDb(session, { includeDeleted }).$transaction(async (tx) => {
      throw new Rollback(await write(tx));
    });
    return 'error: committed' as Observed;
  } catch (err) {
    if (err instanceof Rollback)
      return ((err.result as { count: number }).count === 1 ? 'allowed' : 'filtered') as Observed;
    if (err instanceof ORMError && err.reason === 'rejected-by-policy') return 'rejected';
    // A constraint the database checks after the rules let the write through (a unique copy, a clinic's patients).
    if (
      err instanceof ORMError &&
      err.reason === 'db-query-error' &&
      ['23505', '23503', '23001'].includes(String(err.dbErrorCode))
    ) {
      return 'allowed';
    }
    return `error: ${(err as Error).message.split('\n')[0]}` as Observed;
  }
}

it(`agrees with createDb on ${CASES} random cases (seed ${SEED})`, async () => {
  const before = await snapshot(raw);
  const rows: Record<string, Record<string, unknown>[]> = {};
  for (const model of MODELS) rows[model] = await delegate(raw, model).findMany({ orderBy: { id: 'asc' } });
  // A model arrangeWorld gives no rows (a new one) has nothing to judge yet.
  const judged = MODELS.filter((m) => (rows[m] as unknown[]).length > 0);
  expect(judged).toEqual(expect.arrayContaining(['Clinic', 'Patient', 'ClinicMembership', 'AuditLog']));

  const disagreements: string[] = [];
  const tally: Record<string, number> = {};
  for (let i = 0; i < CASES; i++) {
    // Patients carry the interesting rules (memberships, soft delete, post-update): half the cases.
    const model = r.chance(0.5) ? 'Patient' : r.pick(judged);
    const row = r.pick(rows[model] as Record<string, unknown>[]);
    const session = randomSession(r, world, loaded);
    const includeDeleted = r.chance(0.3);
    // Patients sometimes move to another clinic: the post-update rule judges where the row ends up.
    const changes: Record<string, unknown> =
      model === 'Patient' && r.chance(0.5)
        ? { clinicId: r.pick(world.clinics).id }
        : { [sameValueField(model)]: row[sameValueField(model)] };
    const [explained] = (await explain(session, model, 'all', { id: row.id }, { includeDeleted, changes })).rows;
    const v = (op: PolicyOperation) => explained?.operations[op]?.allowed === true;

    const seen = await delegate(createDb(session, { includeDeleted }), model).findFirst({ where: { id: row.id } });
    const update = await attempt(session, includeDeleted, (tx) =>
      delegate(tx, model).updateMany({ where: { id: row.id }, data: changes }),
    );
    const del = await attempt(session, includeDeleted, (tx) =>
      delegate(tx, model).deleteMany({ where: { id: row.id } }),
    );
    const copy = Object.fromEntries(Object.entries(row).filter(([k]) => !SKIP_ON_CREATE.has(k)));
    const create = await attempt(session, includeDeleted, (tx) => delegate(tx, model).createMany({ data: [copy] }));

    const audit = (op: PolicyOperation) => explained?.operations[op]?.decidedBy.by === 'audit-log';
    const expected = {
      read: v('read') ? 'allowed' : 'filtered',
      update: audit('update') ? 'rejected' : !v('update') ? 'filtered' : v('post-update') ? 'allowed' : 'rejected',
      delete: audit('delete') ? 'rejected' : v('delete') ? 'allowed' : 'filtered',
      create: v('create') ? 'allowed' : 'rejected',
    };
    const observed = { read: seen ? 'allowed' : 'filtered', update, delete: del, create };
    for (const op of ['read', 'update', 'delete', 'create'] as const) {
      tally[`${op}:${observed[op]}`] = (tally[`${op}:${observed[op]}`] ?? 0) + 1;
      if (expected[op] !== observed[op]) {
        disagreements.push(
          `case ${i}: ${model} ${String(row.id)} ${op} as ${JSON.stringify(session)}${includeDeleted ? ' (includeDeleted)' : ''}: explain ${expected[op]}, createDb ${observed[op]} — ${JSON.stringify(explained?.operations[op === 'update' ? 'update' : op]?.decidedBy)}`,
        );
      }
    }
  }
  console.log(`[explain] ${CASES} cases, seed ${SEED}: ${JSON.stringify(tally)}`);
  expect(disagreements).toEqual([]);
  // Both kinds of outcome were exercised for every operation.
  for (const op of ['read', 'update', 'delete', 'create']) {
    expect(tally[`${op}:allowed`], `${op} allowed`).toBeGreaterThan(0);
  }
  expect(tally['update:rejected'], 'post-update rejections').toBeGreaterThan(0);
  expect(await snapshot(raw)).toEqual(before);
}, 240_000);
