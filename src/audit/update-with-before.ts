import { type ClientContract, ORMError, ORMErrorReason, QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import {
  type AliasNode,
  ExpressionWrapper,
  expressionBuilder,
  FromNode,
  type OperationNode,
  type QueryResult,
  ReturningNode,
  SelectionNode,
  type UpdateQueryNode,
  WhereNode,
} from 'kysely';
import type { Row } from './audit-entries.ts';
import { type MutationTarget, tableSql } from './mutation-target.ts';

const OLD = '$old';
const PREFIX = '$old:';

/**
 * Rewrites an UPDATE so that it also returns each row as it was, in the same
 * statement (one round trip fewer than a separate SELECT):
 *
 *   UPDATE "T" SET … FROM (SELECT "T"."id" AS "$old:id", … FROM "T" WHERE <where> FOR UPDATE) AS "$old"
 *   WHERE "T"."id" = "$old"."$old:id" RETURNING *      -- the row after, plus "$old:…" columns
 *
 * The old columns get their own names, so the caller's own RETURNING list
 * stays unambiguous; {@link splitBefore} takes them off the rows again.
 * `FOR UPDATE` keeps a concurrent writer from slipping in between.
 */
export function updateWithBefore(
  client: ClientContract<SchemaDef>,
  target: MutationTarget,
  query: UpdateQueryNode,
  columns: readonly string[],
): UpdateQueryNode {
  if (query.from || query.joins) {
    throw new ORMError(ORMErrorReason.NOT_SUPPORTED, `Cannot audit an UPDATE with FROM or JOIN on "${target.model}"`);
  }
  const ref = target.alias ?? target.model;
  const idFields = QueryUtils.requireIdFields(client.$schema, target.model);
  const oldTable = beforeImage(client, target, query.where, columns).as(OLD).toOperationNode() as AliasNode;
  // biome-ignore lint/suspicious/noExplicitAny: table and column names are only known at runtime.
  const eb = expressionBuilder<any, any>();
  const join = eb.and(idFields.map((f) => eb(eb.ref(`${ref}.${f}`), '=', eb.ref(`${OLD}.${PREFIX}${f}`))));
  const all = SelectionNode.createSelectAll();
  return {
    ...query,
    from: FromNode.create([oldTable]),
    where: WhereNode.create(join.toOperationNode()),
    returning: query.returning
      ? ReturningNode.cloneWithSelections(query.returning, [all])
      : ReturningNode.create([all]),
  };
}

/**
 * `SELECT "T"."c" AS "$old:c", … FROM "T" WHERE <where> FOR UPDATE`: the rows a
 * write with that filter overwrites, locked, as a query builder (the UPDATE's
 * FROM above; an upsert's `"$old"` CTE, upsert-cte.ts).
 */
export function beforeImage(
  client: ClientContract<SchemaDef>,
  target: MutationTarget,
  where: WhereNode | undefined,
  columns: readonly string[],
  // biome-ignore lint/suspicious/noExplicitAny: the table name is only known at runtime.
): any {
  const ref = target.alias ?? target.model;
  // biome-ignore lint/suspicious/noExplicitAny: the table name is only known at runtime.
  let old = (client.$qb as any).selectFrom(tableSql(target)).select(columns.map((c) => `${ref}.${c} as ${PREFIX}${c}`));
  if (where) old = old.where(() => new ExpressionWrapper(where.where as OperationNode));
  return old.forUpdate();
}

/** Takes the "$old:…" columns off the returned rows (in place) and returns them as the rows before. */
export function splitBefore(result: QueryResult<Row>): Row[] {
  return result.rows.map((row) => {
    const before: Row = {};
    for (const key of Object.keys(row)) {
      if (key.startsWith(PREFIX)) {
        before[key.slice(PREFIX.length)] = row[key];
        delete row[key];
      }
    }
    return before;
  });
}
