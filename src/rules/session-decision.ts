import type { BinaryExpression, Expression, SchemaDef } from '@zenstackhq/schema';
import { type RuleOperation, rulesFor } from './model-rules.ts';
import { UNKNOWN } from './session-value.ts';

/** True / false when the session alone settles it exactly as SQL would, else {@link UNKNOWN}. */
export type Decision = boolean | typeof UNKNOWN;

/**
 * Folds a rule's condition against the session, three-valued like the SQL
 * ZenStack would send: a value is decided only when PostgreSQL would get the
 * same boolean, never NULL. So a comparison with a missing auth member
 * (`auth().role == 'ADMIN'` without a role) stays UNKNOWN (`NULL = 'ADMIN'`
 * is NULL, and `NOT NULL` denies a `@@deny` would not); `x == null` is
 * `IS NULL`; a collection predicate over an empty auth list is decided
 * (`EXISTS` over nothing is false). Fields, `this`, relations and functions
 * other than `auth()` need the row: UNKNOWN.
 */
export function decide(expr: Expression, auth: unknown): Decision {
  switch (expr.kind) {
    case 'literal':
      return typeof expr.value === 'boolean' ? expr.value : UNKNOWN;
    case 'unary': {
      const v = decide(expr.operand, auth);
      return v === UNKNOWN ? UNKNOWN : !v;
    }
    case 'binary':
      return decideBinary(expr, auth);
    default:
      return UNKNOWN;
  }
}

function decideBinary(expr: BinaryExpression, auth: unknown): Decision {
  const { op } = expr;
  if (op === '&&' || op === '||') {
    const decisive = op === '||';
    const left = decide(expr.left, auth);
    if (left === decisive) return decisive;
    const right = decide(expr.right, auth);
    if (right === decisive) return decisive;
    return left === UNKNOWN || right === UNKNOWN ? UNKNOWN : !decisive;
  }
  const left = value(expr.left, auth);
  if (op === '?' || op === '!' || op === '^') {
    if (!Array.isArray(left) || left.length > 0) return UNKNOWN;
    return op !== '?';
  }
  const right = value(expr.right, auth);
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  if (op === '==' || op === '!=') {
    let same: boolean;
    if (expr.right.kind === 'null') same = left === null;
    else if (expr.left.kind === 'null') same = right === null;
    else if (isScalar(left) && isScalar(right)) same = left === right;
    else return UNKNOWN;
    return op === '==' ? same : !same;
  }
  if (op === 'in' && isScalar(left) && Array.isArray(right) && right.every(isScalar)) return right.includes(left);
  return UNKNOWN;
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The value of an operand when it comes from the session or a literal alone. */
function value(expr: Expression, auth: unknown): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'null':
      return null;
    case 'array': {
      const items = expr.items.map((i) => value(i, auth));
      return items.includes(UNKNOWN) ? UNKNOWN : items;
    }
    case 'call':
      return expr.function === 'auth' && expr.args === undefined ? (auth ?? null) : UNKNOWN;
    case 'member': {
      let v = value(expr.receiver, auth);
      if (v === UNKNOWN) return UNKNOWN;
      for (const m of expr.members) {
        if (v === null || typeof v !== 'object') return null;
        v = (v as Record<string, unknown>)[m] ?? null;
      }
      return v;
    }
    default:
      return UNKNOWN;
  }
}

/**
 * Whether the rules grant `operation` on every row for this session, as
 * ZenStack's policy plugin combines them (any allow, and no deny): true only
 * when some allow is decided true and every deny decided false; false when
 * no allow can hold or a deny holds; otherwise UNKNOWN.
 */
export function decideOperation(
  schema: SchemaDef,
  model: string,
  operation: Exclude<RuleOperation, 'all' | 'post-update'>, // post-update combines differently
  auth: unknown,
): Decision {
  const rules = rulesFor(schema, model, operation);
  const denies = rules.filter((r) => !r.allow).map((r) => decide(r.condition, auth));
  const allows = rules.filter((r) => r.allow).map((r) => decide(r.condition, auth));
  if (denies.includes(true) || allows.every((a) => a === false)) return false;
  if (denies.every((d) => d === false) && allows.includes(true)) return true;
  return UNKNOWN;
}
