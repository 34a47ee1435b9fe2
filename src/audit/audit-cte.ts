import { type ClientContract, QueryUtils } from '@zenstackhq/orm';
import type { FieldDef, SchemaDef } from '@zenstackhq/orm/schema';
import {
  AliasNode,
  ColumnNode,
  DeleteQueryNode,
  IdentifierNode,
  InsertQueryNode,
  type OnConflictNode,
  type OperationNode,
  type QueryResult,
  RawNode,
  ReferenceNode,
  ReturningNode,
  type RootOperationNode,
  SelectionNode,
  sql,
  UpdateQueryNode,
} from 'kysely';
import { perModel } from '../per-model.ts';
import { softDeleteField } from '../rules/index.ts';
import { AUDIT_MODEL, columnsOf, type Row } from './audit-entries.ts';
import type { MutationTarget } from './mutation-target.ts';
import { updateWithBefore } from './update-with-before.ts';

type Mutation = InsertQueryNode | UpdateQueryNode | DeleteQueryNode;
/** An upsert's INSERT: its `ON CONFLICT … DO UPDATE` and the `"$old"` CTE it reads (upsert-cte.ts). */
export interface UpsertParts {
  onConflict: OnConflictNode;
  old: OperationNode;
}
type Actor = { id: string; role: string };
/** How to turn the statement's rows back into what the mutation alone would have returned. */
export type Shape = { kind: 'count' } | { kind: 'rows' };

const M = '$m';
const OLD = '$old:';
/** An upsert's CTE of the row before (upsert-cte.ts). */
export const UPSERT_OLD = '$old';

/**
 * The mutation and its audit rows as ONE statement:
 *
 *   WITH "$m" AS (<mutation> RETURNING *),
 *        "$a" AS (INSERT INTO "AuditLog" (…) SELECT …, <before>, <after> FROM "$m")
 *   SELECT <the mutation's own RETURNING list> FROM "$m"
 *
 * The audit values are formatted in SQL exactly as audit-entries.ts formats
 * the parsed rows in JavaScript (a timestamp as ISO 8601 in UTC, numeric and
 * bigint as strings, an update's changed fields only), so both paths write
 * the same rows (an update of a soft-delete marker is a `delete` or
 * `restore`, as there). Undefined when a column type has no such SQL form
 * yet; the caller then audits with two statements.
 */
export function auditedStatement(
  client: ClientContract<SchemaDef>,
  target: MutationTarget,
  mutation: Mutation,
  actor: Actor,
  upsert?: UpsertParts,
): { node: RootOperationNode; shape: Shape } | undefined {
  const schema = client.$schema;
  const model = target.model;
  const formats = jsonFormats(schema, model);
  if (!formats) return undefined;
  const output = outputColumns(schema, model, mutation);
  if (!output) return undefined;
  const all = ReturningNode.create([SelectionNode.createSelectAll()]);
  const action = InsertQueryNode.is(mutation)
    ? upsert
      ? 'upsert'
      : 'create'
    : DeleteQueryNode.is(mutation)
      ? 'delete'
      : 'update';
  const inner: Mutation = UpdateQueryNode.is(mutation)
    ? { ...updateWithBefore(client, target, mutation, columnsOf(schema, model)), returning: all }
    : InsertQueryNode.is(mutation) && upsert
      ? { ...mutation, onConflict: upsert.onConflict, returning: all }
      : { ...mutation, returning: all };
  const head = upsert ? sql`${sql.raw(q(UPSERT_OLD))} AS (${{ toOperationNode: () => upsert.old }}), ` : sql``;

  const text = auditSql(schema, model)[action];
  const list =
    output === 'count' ? 'count(*)::int AS "$count"' : output.map(([c, a]) => `${q(M)}.${q(c)} AS ${q(a)}`).join(', ');
  // Raw text around the mutation's own node: built once per model, so a write costs no extra query tree.
  const node = sql`WITH ${head}${sql.raw(q(M))} AS (${{ toOperationNode: () => inner }}), ${sql.raw(
    q('$a'),
  )} AS (${sql.raw(text.insert)}${actor.id}, ${actor.role}${sql.raw(text.select)}) SELECT ${sql.raw(list)} FROM ${sql.raw(q(M))}`;
  return {
    node: node.toOperationNode() as RootOperationNode,
    shape: output === 'count' ? { kind: 'count' } : { kind: 'rows' },
  };
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * `INSERT INTO "AuditLog" (…) SELECT ` and, after the two actor parameters,
 * `, 'Model', 'action', <recordId>, <before>, <after> FROM "$m"`, per action.
 */
const auditSql = perModel((schema, model) => {
  const formats = jsonFormats(schema, model) as Record<string, Format>;
  const columns = Object.keys(formats);
  const now = (c: string) => formats[c]?.(`${q(M)}.${q(c)}`) as string;
  // The row before an update: its "$old:…" columns, on "$m" (update-with-before.ts) or an upsert's "$old" CTE.
  const oldIn = (source: string) => (c: string) => formats[c]?.(`${q(source)}.${q(OLD + c)}`) as string;
  const record = columns.map((c) => `jsonb_build_object(${lit(c)}, ${now(c)})`).reduce((a, b) => `${a} || ${b}`);
  const changed = (old: Format, side: 'o' | 'n') =>
    `(SELECT coalesce(jsonb_object_agg("c"."k", "c".${q(side)}), '{}'::jsonb) FROM (VALUES ${columns
      .map((c) => `(${lit(c)}, ${old(c)}, ${now(c)})`)
      .join(', ')}) AS "c"("k", "o", "n") WHERE "c"."o" IS DISTINCT FROM "c"."n")`;
  const ids = QueryUtils.requireIdFields(schema, model);
  const recordId = `concat_ws(':', ${ids.map((f) => `${q(M)}.${q(f)}::text`).join(', ')})`;
  const table = `${q(schema.provider.defaultSchema ?? 'public')}.${q(AUDIT_MODEL)}`;
  const insert = `INSERT INTO ${table} ("actorId", "actorRole", "model", "action", "recordId", "before", "after") SELECT `;
  // An update that sets a soft-delete marker is a `delete`, one that clears it a `restore` (audit-entries.ts).
  const marker = softDeleteField(schema, model);
  const update = (old: Format) =>
    marker
      ? `CASE WHEN ${old(marker)} IS NOT DISTINCT FROM ${now(marker)} THEN 'update' WHEN ${q(M)}.${q(marker)} IS NULL THEN 'restore' ELSE 'delete' END`
      : lit('update');
  // `action` is SQL: a literal, or the CASE above.
  const tail = (action: string, before: string, after: string, from = q(M)) =>
    `, ${lit(model)}, ${action}, ${recordId}, ${before}, ${after} FROM ${from}`;
  // An upsert: "$m" is the INSERT … ON CONFLICT DO UPDATE, "$old" the row it overwrote, locked (upsert-cte.ts).
  // It inserted exactly when no "$old" row joins (its DO UPDATE only runs when one exists).
  const upserted = oldIn(UPSERT_OLD);
  const inserted = `${upserted(ids[0] as string)} IS NULL`;
  const either = (created: string, updated: string) => `CASE WHEN ${inserted} THEN ${created} ELSE ${updated} END`;
  const joined = `${q(M)} LEFT JOIN ${q(UPSERT_OLD)} ON ${ids.map((f) => `${q(UPSERT_OLD)}.${q(OLD + f)} = ${q(M)}.${q(f)}`).join(' AND ')}`;
  const onM = oldIn(M);
  return {
    create: { insert, select: tail(lit('create'), 'NULL::jsonb', record) },
    update: { insert, select: tail(update(onM), changed(onM, 'o'), changed(onM, 'n')) },
    delete: { insert, select: tail(lit('delete'), record, 'NULL::jsonb') },
    upsert: {
      insert,
      select: tail(
        either(lit('create'), update(upserted)),
        either('NULL::jsonb', changed(upserted, 'o')),
        either(record, changed(upserted, 'n')),
        joined,
      ),
    },
  };
});

/** The statement's result as the bare mutation would have given it. */
export function asMutationResult(shape: Shape, result: QueryResult<Row>): QueryResult<Row> {
  if (shape.kind === 'rows') return { ...result, numAffectedRows: BigInt(result.rows.length) };
  const count = Number(result.rows[0]?.$count ?? 0);
  return { ...result, rows: [], numAffectedRows: BigInt(count) };
}

/** The RETURNING list as [column, alias] pairs; `*` becomes every column; 'count' without RETURNING. */
function outputColumns(schema: SchemaDef, model: string, node: Mutation): 'count' | [string, string][] | undefined {
  if (!node.returning) return 'count';
  const out: [string, string][] = [];
  for (const { selection } of node.returning.selections) {
    if (selection.kind === 'SelectAllNode') out.push(...columnsOf(schema, model).map((c): [string, string] => [c, c]));
    else {
      const alias = AliasNode.is(selection) && IdentifierNode.is(selection.alias) ? selection.alias.name : undefined;
      const column = columnName(AliasNode.is(selection) ? selection.node : selection);
      if (column === undefined || !columnsOf(schema, model).includes(column)) return undefined;
      out.push([column, alias ?? column]);
    }
  }
  return out;
}

function columnName(node: OperationNode): string | undefined {
  if (ColumnNode.is(node)) return node.column.name;
  if (ReferenceNode.is(node) && ColumnNode.is(node.column)) return node.column.column.name;
  if (RawNode.is(node)) return undefined;
  return undefined;
}

type Format = (ref: string) => string;
const ISO = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';
const ISO_DATE = 'YYYY-MM-DD"T00:00:00.000Z"';

/**
 * Per stored column, its JSON as audit-entries.ts writes it from the row pg
 * and ZenStack parsed: ZenStack reads a `timestamp` as UTC (and a `date` as
 * UTC midnight), pg keeps numeric and bigint as strings.
 */
const jsonFormats = perModel((schema, model): Record<string, Format> | undefined => {
  const def = QueryUtils.requireModel(schema, model);
  if (model === AUDIT_MODEL) return undefined;
  const fields = Object.values(def.fields).filter((f) => !f.relation);
  const out: Record<string, Format> = {};
  for (const field of fields) {
    const format = formatOf(schema, field);
    if (!format) return undefined;
    out[field.name] = format;
  }
  return out;
});

function formatOf(schema: SchemaDef, field: FieldDef): Format | undefined {
  if (field.array) return undefined;
  const native = field.attributes?.find((a) => a.name.startsWith('@db.'))?.name;
  switch (field.type) {
    case 'String':
    case 'Boolean':
    case 'Int':
      return native === undefined || native === '@db.Text' || native === '@db.VarChar'
        ? (r) => `to_jsonb(${r})`
        : undefined;
    case 'BigInt':
    case 'Decimal':
      return (r) => `to_jsonb(${r}::text)`;
    case 'DateTime':
      if (native === undefined) return (r) => `to_jsonb(to_char(${r}, ${lit(ISO)}))`;
      if (native === '@db.Date') return (r) => `to_jsonb(to_char(${r}, ${lit(ISO_DATE)}))`;
      return undefined;
    case 'Json':
      return (r) => `to_jsonb(${r})`;
    default:
      return schema.enums?.[field.type] ? (r) => `to_jsonb(${r})` : undefined;
  }
}
