import { type ClientContract, QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import {
  ColumnNode,
  type ColumnUpdateNode,
  ExpressionWrapper,
  InsertQueryNode,
  type OperationNode,
  type QueryResult,
  type RootOperationNode,
  sql,
  UpdateQueryNode,
} from 'kysely';
import { withScope } from '../operation-scope.ts';
import { asMutationResult, auditedStatement, UPSERT_OLD } from './audit-cte.ts';
import { columnsOf, type Row } from './audit-entries.ts';
import type { MutationTarget } from './mutation-target.ts';
import { beforeImage } from './update-with-before.ts';

/**
 * One decided upsert (src/fast-path/write-path.ts), as the statements of
 * ZenStack's own `upsert` reach the audit layer: its UPDATE is held back (the
 * handler is told it matched nothing), and its INSERT goes out as ONE statement
 * with that UPDATE's SET as the conflict branch and the audit row:
 *
 *   WITH "$old" AS (SELECT "T"."c" AS "$old:c", … FROM "T" WHERE <the UPDATE's where> FOR UPDATE),
 *        "$m"   AS (INSERT INTO "T" (…) VALUES (…) ON CONFLICT (<key>) DO UPDATE SET <the UPDATE's SET>
 *                   WHERE EXISTS (SELECT 1 FROM "$old" WHERE <id> = "T".<id>) RETURNING *),
 *        "$a"   AS (INSERT INTO "AuditLog" … SELECT … FROM "$m" LEFT JOIN "$old" …)
 *   SELECT <the INSERT's RETURNING list> FROM "$m"
 *
 * The DO UPDATE reads "$old", so the row before is locked and read before the
 * update, and an update always has its before image; no "$old" row means the
 * row was inserted (create in the audit, update otherwise, as the plain path).
 *
 * When it cannot give the plain path's answer it writes nothing and throws
 * {@link UpsertFallback}, and the write path runs the plain path instead:
 * - a conflict on a row this statement's snapshot cannot see (inserted by a
 *   transaction that committed while it waited): the DO UPDATE's WHERE is
 *   false, no row comes back. The plain path's UPDATE then finds that row;
 * - an error the proposed INSERT row alone can raise even when the key exists
 *   (PostgreSQL checks CHECK, NOT NULL and RLS WITH CHECK, and casts the values,
 *   before it looks for the conflict), or no unique index on the key (42P10):
 *   SQLSTATE classes 22, 23 and 42. The plain path then only runs the INSERT
 *   when no row matched, so its own answer decides.
 */
export interface UpsertState {
  /** The conflict target: the columns of the unique key that `where` names and `create` repeats. */
  readonly conflict: readonly string[];
  update?: UpdateQueryNode;
  sent?: true;
}

/** Thrown (and wrapped by ZenStack) when the one statement cannot answer; nothing was written. */
export class UpsertFallback extends Error {
  override readonly name = 'UpsertFallback';
}

/** The UpsertFallback somewhere in an error's cause chain (ZenStack wraps what a plugin throws). */
export function upsertFallbackIn(err: unknown): UpsertFallback | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UpsertFallback) return e;
  }
  return undefined;
}

type Actor = { id: string; role: string };
type Proceed = (node: RootOperationNode) => Promise<QueryResult<Row>>;

export async function auditedUpsert(
  client: ClientContract<SchemaDef>,
  target: MutationTarget,
  mutation: InsertQueryNode | UpdateQueryNode | OperationNode,
  actor: Actor,
  state: UpsertState,
  proceed: Proceed,
): Promise<QueryResult<Row>> {
  if (UpdateQueryNode.is(mutation) && !state.update && !mutation.from && !mutation.joins) {
    state.update = mutation;
    return { rows: [], numAffectedRows: 0n };
  }
  if (!InsertQueryNode.is(mutation) || !state.update || state.sent || target.alias) {
    throw new UpsertFallback('upsert: not the UPDATE-then-INSERT it expected');
  }
  state.sent = true;
  const update = state.update;
  const ref = target.model;
  const idFields = QueryUtils.requireIdFields(client.$schema, ref);
  const old = beforeImage(client, target, update.where, columnsOf(client.$schema, ref)).toOperationNode();
  const onConflict = conflictNode(client, ref, state.conflict, update.updates ?? [], idFields);
  const one = auditedStatement(client, target, mutation, actor, { onConflict, old });
  if (!one) throw new UpsertFallback('upsert: a column type without an SQL audit form');
  let result: QueryResult<Row>;
  try {
    result = await withScope({ whole: true }, () => proceed(one.node));
  } catch (err) {
    const code = sqlstateIn(err);
    if (code && /^(22|23|42)/.test(code)) throw new UpsertFallback(`upsert: SQLSTATE ${code}`, { cause: err });
    throw err;
  }
  if (result.rows.length === 0) throw new UpsertFallback('upsert: the conflicting row is newer than the statement');
  return asMutationResult(one.shape, result);
}

/** `ON CONFLICT (<key>) DO UPDATE SET <the UPDATE's SET> WHERE EXISTS (the row in "$old")`, by the public builder. */
function conflictNode(
  client: ClientContract<SchemaDef>,
  model: string,
  conflict: readonly string[],
  updates: readonly ColumnUpdateNode[],
  idFields: readonly string[],
) {
  const set: Record<string, ExpressionWrapper<never, never, unknown>> = {};
  for (const u of updates) {
    if (!ColumnNode.is(u.column)) throw new UpsertFallback('upsert: a SET target that is not a column');
    set[u.column.column.name] = new ExpressionWrapper(u.value);
  }
  const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
  const match = idFields.map((f) => `${q(UPSERT_OLD)}.${q(`$old:${f}`)} = ${q(model)}.${q(f)}`).join(' AND ');
  const exists = sql<boolean>`EXISTS (SELECT 1 FROM ${sql.raw(q(UPSERT_OLD))} WHERE ${sql.raw(match)})`;
  // biome-ignore lint/suspicious/noExplicitAny: the table is only known at runtime; only the node is used.
  const built = (client.$qb as any)
    .insertInto(model)
    .values({})
    // biome-ignore lint/suspicious/noExplicitAny: the conflict builder of a runtime table.
    .onConflict((oc: any) => oc.columns(conflict).doUpdateSet(set).where(exists))
    .toOperationNode() as InsertQueryNode;
  if (!built.onConflict) throw new UpsertFallback('upsert: no ON CONFLICT built');
  return built.onConflict;
}

function sqlstateIn(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
