import type { OnKyselyQueryArgs } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import {
  AliasNode,
  ColumnNode,
  DeleteQueryNode,
  InsertQueryNode,
  type OperationNode,
  type QueryResult,
  ReferenceNode,
  SelectAllNode,
  SelectQueryNode,
  TableNode,
  UpdateQueryNode,
} from 'kysely';
import { isTrustedStatement, notePassThrough } from '../fast-path/query-cache/capture.ts';
import { debugFallback } from '../fast-path/switch.ts';
import { currentScope, withScope } from '../operation-scope.ts';
import { type DecidedOperation, decision, hasFieldRules, rulesFor, softDeletable } from '../rules/index.ts';
import { queryTables } from './query-tables.ts';

type Row = Record<string, unknown>;
type Op = DecidedOperation;

/**
 * ZenStack's policy plugin, except for statements the session alone already
 * allows on every row: those go straight on, with what the plugin would
 * have added folded away. An ADMIN create of a Treatment then costs no
 * pre-create `SELECT EXISTS (…VALUES…)` and no read-back `SELECT`; a USER
 * read of clinics carries no policy SQL and skips the plugin's tree rewrite.
 *
 * A statement is passed through only when, for this session (rules decided
 * by {@link decideOperation}, three-valued like the SQL):
 * - every table it names (subqueries, joins, the target) allows `read`
 *   (the plugin would add `true` filters, and its read-back sees the same row);
 * - a mutation's own rule (`create`, `update`, `delete`) allows it;
 * - the target has no post-update rules, no `@deletedAt` (its read-back goes
 *   through soft delete), and an INSERT has no ON CONFLICT;
 * - a DELETE returns ids only (the plugin's read-back of a deleted row fails);
 * - the schema has no field-level rules.
 * Anything else is handed to the plugin unchanged (a debug log says why), so
 * results, errors and audit rows are the plugin's own. The plugin's outcome
 * for a passed-through mutation is reproduced: rows projected to the
 * RETURNING list (its read-back selects exactly that), none without one.
 */
export class ConstantPolicyPlugin extends PolicyPlugin {
  override onKyselyQuery(args: OnKyselyQueryArgs<SchemaDef>): Promise<QueryResult<Row>> {
    const { query, client, proceed } = args;
    // Query cache (query-cache/): its own statement, built through this plugin on a miss, or a pass-through it keys on.
    if (isTrustedStatement(query)) return proceed(query);
    const plan = passThrough(client.$schema, query, client.$auth);
    if (plan === undefined) return super.onKyselyQuery(args) as Promise<QueryResult<Row>>;
    notePassThrough();
    // Inside a bulk write of write-path.ts, this statement is the whole write: its audit may join it.
    const run = plan.kind !== 'select' && currentScope().oneStatement === true;
    return (run ? withScope({ decided: true }, () => proceed(query)) : proceed(query)).then((result) =>
      shapeResult(plan, query as Mutation, result as QueryResult<Row>),
    );
  }
}

type Mutation = InsertQueryNode | UpdateQueryNode | DeleteQueryNode;
/** How to shape the result as the plugin would: as it came, no rows (no RETURNING), or the RETURNING columns. */
type Plan = { kind: 'select' } | { kind: 'noReturning' } | { kind: 'asIs' } | { kind: 'project'; columns: string[] };

function passThrough(schema: SchemaDef, node: OperationNode, auth: unknown): Plan | undefined {
  if (auth === undefined || auth === null || typeof auth !== 'object') return undefined;
  if (hasFieldRules(schema)) return undefined;
  const kind = node.kind;
  let target: string | undefined;
  let op: Op = 'read';
  if (SelectQueryNode.is(node)) op = 'read';
  else if (InsertQueryNode.is(node)) {
    target = tableName(node.into);
    op = 'create';
    if (node.onConflict || node.onDuplicateKey) return fallback(target, kind, 'INSERT with ON CONFLICT');
  } else if (UpdateQueryNode.is(node)) {
    target = tableName(node.table);
    op = 'update';
  } else if (DeleteQueryNode.is(node)) {
    if (node.from.froms.length !== 1) return fallback(undefined, kind, 'multi-table DELETE');
    target = tableName(node.from.froms[0]);
    op = 'delete';
  } else return undefined; // not CRUD: the plugin refuses it

  const tables = queryTables(node);
  if (!tables) return fallback(target, kind, 'a schema-qualified table');
  for (const t of tables) {
    if (!schema.models[t]) return fallback(target, kind, `${t} is not a model`);
    if (decision(schema, t, 'read', auth) !== true) return fallback(target, kind, `read on ${t} depends on the row`);
  }
  if (op === 'read') return { kind: 'select' };
  if (target === undefined || !schema.models[target])
    return fallback(target, kind, 'target is not a plain model table');
  if (decision(schema, target, op, auth) !== true) return fallback(target, kind, `${op} depends on the row`);
  if (softDeletable(schema, target)) return fallback(target, kind, 'soft-delete model (read-back)');
  if (op === 'update' && rulesFor(schema, target, 'post-update').length > 0) {
    return fallback(target, kind, 'post-update rules');
  }
  const mutation = node as Mutation;
  if (!mutation.returning) return { kind: 'noReturning' };
  const columns = returningColumns(schema, target, mutation);
  if (columns === undefined) return fallback(target, kind, 'RETURNING other than columns');
  if (columns === 'id') return { kind: 'asIs' };
  if (op === 'delete') return fallback(target, kind, 'DELETE returning more than ids');
  return columns === 'all' ? { kind: 'asIs' } : { kind: 'project', columns };
}

function fallback(model: string | undefined, kind: string, reason: string): undefined {
  debugFallback(model, kind, reason);
  return undefined;
}

function tableName(node: OperationNode | undefined): string | undefined {
  if (node && TableNode.is(node)) return node.table.schema ? undefined : node.table.identifier.name;
  if (node && AliasNode.is(node)) return tableName(node.node);
  return undefined;
}

/**
 * `'id'` when the plugin would treat RETURNING as ids only (it then returns
 * the statement's rows as they are), else the column names its read-back
 * would select; undefined for anything but plain columns.
 */
function returningColumns(schema: SchemaDef, model: string, node: Mutation): 'id' | 'all' | string[] | undefined {
  const def = schema.models[model];
  if (!def || !node.returning) return undefined;
  const ids = def.idFields;
  const selections = node.returning.selections.map((s) => s.selection);
  if (selections.some((s) => SelectAllNode.is(s))) {
    // The statement already returns every column, in the table's order, as the read-back's SELECT * would.
    return Object.keys(def.fields).every((f) => ids.includes(f)) ? 'id' : 'all';
  }
  const names: string[] = [];
  for (const selection of selections) {
    const name = columnName(selection);
    if (name === undefined) return undefined;
    names.push(name);
  }
  return names.every((n) => ids.includes(n)) ? 'id' : [...new Set(names)];
}

function columnName(node: OperationNode): string | undefined {
  if (ColumnNode.is(node)) return node.column.name;
  if (ReferenceNode.is(node) && ColumnNode.is(node.column)) return node.column.column.name;
  return undefined;
}

function shapeResult(plan: Plan, node: Mutation, result: QueryResult<Row>): QueryResult<Row> {
  if (plan.kind === 'select' || plan.kind === 'asIs') return result;
  if (plan.kind === 'noReturning') {
    return { ...result, rows: [], numAffectedRows: result.numAffectedRows ?? BigInt(result.rows.length) };
  }
  if (result.rows.length === 0 || !node.returning) return result;
  const columns = plan.columns;
  return {
    ...result,
    rows: result.rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]]))),
  };
}
