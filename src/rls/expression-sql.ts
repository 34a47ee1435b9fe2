import type { SchemaDef } from '@zenstackhq/orm/schema';
import { UnsupportedRuleError } from '../errors/index.ts';
import { AUTH_SETTING } from './names.ts';

/**
 * Translates one ZModel policy expression (as the generated schema.ts holds
 * it) into a PostgreSQL boolean expression over the policy's row.
 *
 * - `auth()` is the session JSON PostgreSQL reads once per statement from the
 *   transaction-local setting `acme.auth` (an InitPlan, not a per-row call).
 * - Fields are columns of the row; `this.x` likewise.
 * - `auth().list?[...]` becomes `EXISTS` / `IN` over `jsonb_array_elements`;
 *   a to-many relation `rel?[...]` becomes `EXISTS` over the related table.
 * - `==` / `!=` against `null` become `IS [NOT] NULL`; `!x` is
 *   `NOT COALESCE(x, false)`, so a NULL never turns a denial into a grant.
 *
 * Anything else (other functions, `before()`, comparisons it cannot type)
 * throws {@link UnsupportedRuleError}: a rule must never become a weaker
 * policy without anyone noticing.
 */
// Only a JSON object with a string id and role is a session: any other context (`null`, `{}`, `[]`,
// `"ADMIN"`) reads as anonymous, so `auth() != null` can never hold for something that is not a session.
export const AUTH_SQL = `(SELECT CASE WHEN jsonb_typeof(a -> 'id') = 'string' AND jsonb_typeof(a -> 'role') = 'string' THEN a END FROM (SELECT nullif(current_setting('${AUTH_SETTING}', true), '')::jsonb AS a) AS ctx)`;

export interface Expr {
  kind: string;
  [key: string]: unknown;
}

/** What a name means where it appears: the row, an auth JSON element, or a related table's row. */
type Scope =
  | { kind: 'row'; model: string; alias: string }
  | { kind: 'json'; alias: string; outer: Scope }
  | { kind: 'related'; model: string; alias: string; outer: Scope };

let aliasCounter = 0;
const nextAlias = (prefix: string) => `${prefix}${++aliasCounter}`;

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

export function ruleToSql(schema: SchemaDef, model: string, expr: Expr): string {
  aliasCounter = 0;
  return toSql(schema, expr, { kind: 'row', model, alias: quoteIdent(model) });
}

function toSql(schema: SchemaDef, e: Expr, scope: Scope): string {
  switch (e.kind) {
    case 'literal':
      return literal(e.value);
    case 'null':
      return 'NULL';
    case 'unary':
      if (e.op !== '!') throw new UnsupportedRuleError(`unary operator ${String(e.op)}`);
      return `(NOT COALESCE(${toSql(schema, e.operand as Expr, scope)}, false))`;
    case 'binary':
      return binary(schema, e, scope);
    case 'field':
      return column(scope, e.field as string);
    case 'member':
      return member(schema, e, scope);
    case 'call':
      if (e.function === 'auth') return AUTH_SQL;
      throw new UnsupportedRuleError(`function ${String(e.function)}() has no database form`);
    case 'array':
      return `ARRAY[${(e.items as Expr[]).map((i) => toSql(schema, i, scope)).join(', ')}]`;
    default:
      throw new UnsupportedRuleError(`expression kind "${e.kind}"`);
  }
}

function literal(value: unknown): string {
  if (typeof value === 'string') return quoteLiteral(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new UnsupportedRuleError(`literal ${JSON.stringify(value)}`);
}

/** A field name: a column of the row (or related row), or a key of an auth JSON element. */
function column(scope: Scope, field: string): string {
  if (scope.kind === 'json') return `(${scope.alias}.value ->> ${quoteLiteral(field)})`;
  return `${scope.alias}.${quoteIdent(field)}`;
}

function rowScope(scope: Scope): Scope {
  return scope.kind === 'row' ? scope : rowScope(scope.outer);
}

function member(schema: SchemaDef, e: Expr, scope: Scope): string {
  const receiver = e.receiver as Expr;
  const members = e.members as string[];
  if (receiver.kind === 'this') {
    if (members.length !== 1) throw new UnsupportedRuleError('this.<relation>.<field>');
    return column(rowScope(scope), members[0] as string);
  }
  if (receiver.kind === 'call' && receiver.function === 'auth') {
    // auth().role -> text; nested members walk the JSON.
    const path = members.map(quoteLiteral);
    const last = path.pop() as string;
    return `(${AUTH_SQL}${path.map((p) => ` -> ${p}`).join('')} ->> ${last})`;
  }
  if (receiver.kind === 'field' && scope.kind !== 'json' && members.length === 1) {
    // to-one relation: rel.field -> a scalar subquery on the related row.
    const { target, on } = relation(schema, scope, receiver.field as string, false);
    const alias = nextAlias('r');
    return `(SELECT ${alias}.${quoteIdent(members[0] as string)} FROM ${quoteIdent(target)} ${alias} WHERE ${on(alias)})`;
  }
  throw new UnsupportedRuleError('member access other than auth().x, this.x or <to-one relation>.x');
}

function binary(schema: SchemaDef, e: Expr, scope: Scope): string {
  const op = e.op as string;
  const left = e.left as Expr;
  const right = e.right as Expr;
  if (op === '?' || op === '!' || op === '^') return collection(schema, op, left, right, scope);
  if (op === '&&' || op === '||') {
    return `(${toSql(schema, left, scope)} ${op === '&&' ? 'AND' : 'OR'} ${toSql(schema, right, scope)})`;
  }
  if ((op === '==' || op === '!=') && (left.kind === 'null' || right.kind === 'null')) {
    const other = left.kind === 'null' ? right : left;
    return `(${toSql(schema, other, scope)} IS ${op === '==' ? '' : 'NOT '}NULL)`;
  }
  const sqlOps: Record<string, string> = { '==': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
  if (op === 'in') return `(${toSql(schema, left, scope)} = ANY(${toSql(schema, right, scope)}))`;
  const sqlOp = sqlOps[op];
  if (!sqlOp) throw new UnsupportedRuleError(`operator ${op}`);
  return `(${toSql(schema, left, scope)} ${sqlOp} ${toSql(schema, right, scope)})`;
}

/** `list?[pred]` (some), `list![pred]` (every), `list^[pred]` (none). */
function collection(schema: SchemaDef, op: string, list: Expr, pred: Expr, scope: Scope): string {
  const some = (from: string, inner: Scope, where: string) => {
    const condition = toSql(schema, pred, inner);
    const body = `SELECT 1 FROM ${from} WHERE ${where}`;
    if (op === '?') return `EXISTS (${body}${condition === 'true' ? '' : ` AND ${condition}`})`;
    if (op === '^') return `NOT EXISTS (${body} AND ${condition})`;
    return `NOT EXISTS (${body} AND NOT COALESCE(${condition}, false))`;
  };
  if (
    list.kind === 'member' &&
    (list.receiver as Expr).kind === 'call' &&
    (list.receiver as Expr).function === 'auth'
  ) {
    const alias = nextAlias('m');
    const json = `(${AUTH_SQL}${(list.members as string[]).map((m) => ` -> ${quoteLiteral(m)}`).join('')})`;
    const elements = `jsonb_array_elements(COALESCE(${json}, '[]'::jsonb)) ${alias}`;
    const inner: Scope = { kind: 'json', alias, outer: scope };
    const keyed = op === '?' ? splitRowKey(pred) : undefined;
    if (keyed) {
      // One uncorrelated subquery per statement (hashed), not a scan of the array per row.
      const rest = keyed.rest.map((r) => toSql(schema, r, inner));
      const where = rest.length ? ` WHERE ${rest.join(' AND ')}` : '';
      return `(${column(rowScope(scope), keyed.rowField)} IN (SELECT ${column(inner, keyed.elementField)} FROM ${elements}${where}))`;
    }
    return `(${some(elements, inner, 'true')})`;
  }
  if (list.kind === 'field' && scope.kind !== 'json') {
    const { target, on } = relation(schema, scope, list.field as string, true);
    const alias = nextAlias('r');
    return `(${some(`${quoteIdent(target)} ${alias}`, { kind: 'related', model: target, alias, outer: scope }, on(alias))})`;
  }
  throw new UnsupportedRuleError('collection predicate over something other than auth().<list> or a to-many relation');
}

/** The related model of `field` and the join condition from the current row to it. */
function relation(schema: SchemaDef, scope: Exclude<Scope, { kind: 'json' }>, field: string, many: boolean) {
  const def = schema.models[scope.model]?.fields[field];
  if (!def?.relation || Boolean(def.array) !== many) {
    throw new UnsupportedRuleError(`${scope.model}.${field} is not a to-${many ? 'many' : 'one'} relation`);
  }
  const target = def.type;
  const own = def.relation.fields;
  const opposite = def.relation.opposite ? schema.models[target]?.fields[def.relation.opposite]?.relation : undefined;
  // Foreign key on this side (to-one) or on the other side (to-many / back-reference).
  const pairs: [string, string][] = own?.length
    ? own.map((f, i) => [f, def.relation?.references?.[i] as string])
    : (opposite?.fields ?? []).map((f, i) => [opposite?.references?.[i] as string, f]);
  if (pairs.length === 0) throw new UnsupportedRuleError(`${scope.model}.${field}: cannot find the foreign key`);
  return {
    target,
    on: (alias: string) =>
      pairs
        .map(([mine, theirs]) => `${alias}.${quoteIdent(theirs)} = ${scope.alias}.${quoteIdent(mine)}`)
        .join(' AND '),
  };
}

/**
 * For `auth().list?[key == this.col && <element-only terms>]`: the key pair
 * and the other terms, so the rule can be `col IN (SELECT key FROM list ...)`.
 */
function splitRowKey(pred: Expr): { elementField: string; rowField: string; rest: Expr[] } | undefined {
  const terms: Expr[] = [];
  const flatten = (e: Expr): void => {
    if (e.kind === 'binary' && e.op === '&&') {
      flatten(e.left as Expr);
      flatten(e.right as Expr);
    } else terms.push(e);
  };
  flatten(pred);
  const isThis = (e: Expr) =>
    e.kind === 'member' && (e.receiver as Expr).kind === 'this' && (e.members as string[]).length === 1;
  const index = terms.findIndex(
    (t) =>
      t.kind === 'binary' &&
      t.op === '==' &&
      ((t.left as Expr).kind === 'field'
        ? isThis(t.right as Expr)
        : (t.right as Expr).kind === 'field' && isThis(t.left as Expr)),
  );
  const key = terms[index];
  if (!key) return undefined;
  const rest = terms.filter((_, i) => i !== index);
  if (rest.some(mentionsThis)) return undefined;
  const [field, row] =
    (key.left as Expr).kind === 'field' ? [key.left as Expr, key.right as Expr] : [key.right as Expr, key.left as Expr];
  return { elementField: field.field as string, rowField: (row.members as string[])[0] as string, rest };
}

function mentionsThis(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  if ((e as Expr).kind === 'this') return true;
  return Object.values(e as Record<string, unknown>).some((v) =>
    Array.isArray(v) ? v.some(mentionsThis) : mentionsThis(v),
  );
}
