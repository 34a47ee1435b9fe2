import type { BinaryExpression, Expression } from '@zenstackhq/schema';

/** What a rule's value is when it needs the row (fields, `this`, bindings, relations). */
export const UNKNOWN: unique symbol = Symbol('unknown');
export type SessionValue = unknown;

/**
 * Evaluates what the session alone decides; anything touching a row is
 * {@link UNKNOWN}. Two-valued: a comparison with a missing auth member is
 * `false`, which is what a rule that *grants* needs (SQL's NULL grants
 * nothing either). Folding that must also hold under negation uses
 * {@link foldCondition} instead.
 */
export function evaluate(expr: Expression, auth: unknown): SessionValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'null':
      return null;
    case 'array': {
      const items = expr.items.map((i) => evaluate(i, auth));
      return items.includes(UNKNOWN) ? UNKNOWN : items;
    }
    case 'call':
      return expr.function === 'auth' ? (auth ?? null) : UNKNOWN;
    case 'member': {
      let value = evaluate(expr.receiver, auth);
      if (value === UNKNOWN) return UNKNOWN;
      for (const m of expr.members) value = value == null ? null : (value as Record<string, unknown>)[m];
      return value === undefined ? null : value;
    }
    case 'unary': {
      const value = evaluate(expr.operand, auth);
      return value === UNKNOWN ? UNKNOWN : !value;
    }
    case 'binary':
      return binary(expr, auth);
    default:
      return UNKNOWN; // field, this, binding: they need the row
  }
}

function binary(expr: BinaryExpression, auth: unknown): SessionValue {
  const { op } = expr;
  const left = evaluate(expr.left, auth);
  if (op === '&&' || op === '||') {
    const decisive = op === '||';
    if (left === decisive) return decisive;
    const right = evaluate(expr.right, auth);
    if (right === decisive) return decisive;
    return left === UNKNOWN || right === UNKNOWN ? UNKNOWN : !decisive;
  }
  if (op === '?' || op === '!' || op === '^') {
    // Collection predicates: over an empty (or missing) collection the answer needs no row.
    if (left === UNKNOWN || (Array.isArray(left) && left.length > 0)) return UNKNOWN;
    return op !== '?';
  }
  const right = evaluate(expr.right, auth);
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  switch (op) {
    case '==':
      return (left ?? null) === (right ?? null);
    case '!=':
      return (left ?? null) !== (right ?? null);
    case 'in':
      return Array.isArray(right) && right.includes(left);
    default:
      return UNKNOWN;
  }
}
