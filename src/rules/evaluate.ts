import type { BinaryExpression, Expression, SchemaDef } from '@zenstackhq/schema';
import { type PolicyOperation, rulesFor } from './model-rules.ts';

/** What an expression is worth when the session alone cannot say: it needs the row (fields, `this`, relations). */
export const UNKNOWN: unique symbol = Symbol('unknown');
/** True / false when the session alone settles it, else {@link UNKNOWN}. */
export type Decision = boolean | typeof UNKNOWN;

/**
 * The one evaluator of ZenStack's rule expression trees against a session,
 * in one of two readings (the walk is shared; each place they differ says so):
 *
 * - `sql` ({@link decide}): three-valued like the SQL ZenStack sends. A value
 *   is decided only when PostgreSQL would get the same boolean, never NULL:
 *   `auth().role == 'ADMIN'` without a role stays UNKNOWN (`NULL = 'ADMIN'` is
 *   NULL, and `NOT NULL` denies where a `@@deny` would not); `x == null` is
 *   `IS NULL`; a collection predicate is decided only over an empty auth list
 *   (`EXISTS` over nothing is false). The fast paths skip SQL on it, so it
 *   must agree with the database exactly.
 * - `session` ({@link fold}): two-valued, as JavaScript reads the session. A
 *   comparison with a missing auth member is `false` (a rule that grants
 *   needs no more: SQL's NULL grants nothing either), a missing list is
 *   empty. Policy folding, the observability outcome and rejection messages
 *   read rules this way; folding only ever turns it into a denial.
 *
 * Anything that reads the row (fields, `this`, bindings, relations,
 * functions other than `auth()`) is UNKNOWN in both.
 */
type Reading = 'sql' | 'session';

/** A rule's condition against the session, decided exactly as PostgreSQL would (see {@link Reading}). */
export function decide(expr: Expression, auth: unknown): Decision {
  return condition(expr, auth, 'sql') as Decision;
}

/**
 * A rule's condition against the session, read two-valued (see {@link Reading}):
 * `true` / `false`, UNKNOWN when it needs the row, or, for a condition that is
 * not a boolean (`auth().flag` without a flag), the value itself.
 */
export function fold(expr: Expression, auth: unknown): unknown {
  return condition(expr, auth, 'session');
}

/** An expression in boolean position: a rule's condition, an operand of `!`, `&&`, `||`. */
function condition(e: Expression, auth: unknown, reading: Reading): unknown {
  if (e.kind === 'unary') {
    const v = condition(e.operand, auth, reading);
    return v === UNKNOWN ? UNKNOWN : !v;
  }
  if (e.kind === 'binary') return binary(e, auth, reading);
  // sql: only a boolean literal is a boolean PostgreSQL would get (`auth().flag` is text there).
  if (reading === 'session') return operand(e, auth, reading);
  return e.kind === 'literal' && typeof e.value === 'boolean' ? e.value : UNKNOWN;
}

/** An expression in value position: a side of a comparison, an array item, a member's receiver. */
function operand(e: Expression, auth: unknown, reading: Reading): unknown {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'null':
      return null;
    case 'array': {
      const items = e.items.map((i) => operand(i, auth, reading));
      return items.includes(UNKNOWN) ? UNKNOWN : items;
    }
    case 'call':
      // sql: `auth()` exactly; session: any call of auth.
      return e.function === 'auth' && (reading === 'session' || e.args === undefined) ? (auth ?? null) : UNKNOWN;
    case 'member': {
      let v = operand(e.receiver, auth, reading);
      if (v === UNKNOWN) return UNKNOWN;
      for (const m of e.members) {
        // sql: a member of a non-object is NULL (JSON `->>`); session: JavaScript's (`'abc'.length`).
        if (v === null || v === undefined || (reading === 'sql' && typeof v !== 'object')) return null;
        v = (v as Record<string, unknown>)[m];
      }
      return v ?? null;
    }
    case 'unary':
    case 'binary':
      // sql: a boolean as a compared value is not folded (its SQL NULLs are not JavaScript's).
      return reading === 'session' ? condition(e, auth, reading) : UNKNOWN;
    default:
      return UNKNOWN; // field, this, binding: they need the row
  }
}

function binary(e: BinaryExpression, auth: unknown, reading: Reading): unknown {
  const { op } = e;
  if (op === '&&' || op === '||') {
    const decisive = op === '||';
    const left = condition(e.left, auth, reading);
    if (left === decisive) return decisive;
    const right = condition(e.right, auth, reading);
    if (right === decisive) return decisive;
    return left === UNKNOWN || right === UNKNOWN ? UNKNOWN : !decisive;
  }
  const left = operand(e.left, auth, reading);
  if (op === '?' || op === '!' || op === '^') {
    // Over an empty collection the answer needs no row. sql: only an auth list that is there and empty
    // (a missing one stays UNKNOWN); session: a missing one is empty too.
    if (left === UNKNOWN || (Array.isArray(left) ? left.length > 0 : reading === 'sql')) return UNKNOWN;
    return op !== '?';
  }
  const right = operand(e.right, auth, reading);
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  if (op === '==' || op === '!=') {
    const same = reading === 'session' ? (left ?? null) === (right ?? null) : sqlEquals(e, left, right);
    if (same === UNKNOWN) return UNKNOWN;
    return op === '==' ? same : !same;
  }
  if (op === 'in') {
    if (reading === 'session') return Array.isArray(right) && right.includes(left);
    return isScalar(left) && Array.isArray(right) && right.every(isScalar) ? right.includes(left) : UNKNOWN;
  }
  return UNKNOWN; // <, <=, >, >=: not folded
}

/** `=` as PostgreSQL decides it: `== null` is `IS NULL`; otherwise two non-NULL scalars, or undecided. */
function sqlEquals(e: BinaryExpression, left: unknown, right: unknown): Decision {
  if (e.right.kind === 'null') return left === null;
  if (e.left.kind === 'null') return right === null;
  return isScalar(left) && isScalar(right) ? left === right : UNKNOWN;
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * Whether the rules grant `operation` on every row for this session, as
 * ZenStack's policy plugin combines them (some allow, and no deny): true
 * only when some allow is true and every deny false; false when no allow
 * can hold or a deny holds; otherwise UNKNOWN. Read as {@link decide}.
 */
export function decideOperation(
  schema: SchemaDef,
  model: string,
  operation: Exclude<PolicyOperation, 'post-update'>, // post-update combines differently
  auth: unknown,
): Decision {
  return combine(schema, model, operation, (r) => decide(r, auth));
}

/** {@link decideOperation}, read as {@link fold}: what policy folding and the observability outcome judge. */
export function foldOperation(
  schema: SchemaDef,
  model: string,
  operation: Exclude<PolicyOperation, 'post-update'>,
  auth: unknown,
): Decision {
  return combine(schema, model, operation, (r) => fold(r, auth));
}

function combine(
  schema: SchemaDef,
  model: string,
  operation: Exclude<PolicyOperation, 'post-update'>,
  value: (condition: Expression) => unknown,
): Decision {
  const rules = rulesFor(schema, model, operation);
  const denies = rules.filter((r) => r.kind === 'deny').map((r) => value(r.expr));
  const allows = rules.filter((r) => r.kind === 'allow').map((r) => value(r.expr));
  if (denies.includes(true) || allows.every((a) => a === false)) return false;
  if (denies.every((d) => d === false) && allows.includes(true)) return true;
  return UNKNOWN;
}
