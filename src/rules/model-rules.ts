import type { AttributeApplication, Expression, SchemaDef } from '@zenstackhq/schema';
import { UnsupportedRuleError } from '../errors/index.ts';
import { perModel } from '../per-model.ts';
import { ruleToSql } from '../rls/expression-sql.ts';
import { ruleText } from './rule-text.ts';

/** The operations a rule is judged for, in the order explain() lists them. */
export const OPERATIONS = ['read', 'create', 'update', 'post-update', 'delete'] as const;
export type PolicyOperation = (typeof OPERATIONS)[number];

/** What `all` stands for: every operation except post-update (as ZenStack's policy plugin reads it). */
const ALL: readonly PolicyOperation[] = ['create', 'read', 'update', 'delete'];

/**
 * One `@@allow` / `@@deny` (or field-level `@allow` / `@deny`) of the
 * generated schema: its tree for the evaluators, its text for people
 * (explain, error messages), its SQL for row-level security and explain.
 */
export interface Rule {
  readonly model: string;
  readonly kind: 'allow' | 'deny';
  /** The attribute as written: `@@allow`, `@@deny`, `@allow`, `@deny`. */
  readonly attribute: string;
  /** Position among the model's rules (a field rule: among its field's), from 0. */
  readonly index: number;
  /** The operations as written, trimmed (`'create, update'` → `['create', 'update']`; `all` kept). */
  readonly written: readonly string[];
  /** The operations it covers: `all` expanded, so never post-update unless named. */
  readonly operations: readonly PolicyOperation[];
  /** The condition; a rule written without one is `false` (it grants or denies nothing). */
  readonly expr: Expression;
  /** The condition as ZModel source, e.g. `auth() != null`. */
  readonly condition: string;
  /** The rule as ZModel source, e.g. `@@allow('read', auth() != null)`. */
  readonly text: string;
  /** How errors name it: `Patient @@allow('read', ...) (rule 2)` (counted from 1). */
  readonly label: string;
  /**
   * A PostgreSQL boolean over the row aliased as the model's table name
   * (src/rls/expression-sql.ts; `auth()` is its AUTH_SQL), the same text
   * zenstack/rls.sql and explain() use. Translated when first read: a rule it
   * cannot express throws {@link UnsupportedRuleError} with the rule's label,
   * and only where SQL is wanted (the evaluators never need it).
   */
  readonly sql: string;
}

/** A field-level rule, with the field it sits on. */
export interface FieldRule extends Rule {
  readonly field: string;
}

const FALSE: Expression = { kind: 'literal', value: false };

function toRule(schema: SchemaDef, model: string, a: AttributeApplication, index: number): Rule {
  const [ops, cond] = (a.args ?? []).map((arg) => arg.value);
  const written = String(ops?.kind === 'literal' ? ops.value : '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const expr = cond ?? FALSE;
  const condition = ruleText(expr);
  const label = `${model} ${a.name}('${written.join(',')}', ...) (rule ${index + 1})`;
  let sql: string | undefined;
  return {
    model,
    kind: a.name === '@@allow' || a.name === '@allow' ? 'allow' : 'deny',
    attribute: a.name,
    index,
    written,
    operations: [...new Set(written.flatMap((o) => (o === 'all' ? ALL : [o as PolicyOperation])))],
    expr,
    condition,
    text: `${a.name}('${written.join(',')}', ${condition})`,
    label,
    get sql() {
      sql ??= translate(schema, model, expr, label);
      return sql;
    },
  };
}

function translate(schema: SchemaDef, model: string, expr: Expression, label: string): string {
  try {
    return ruleToSql(schema, model, expr);
  } catch (err) {
    if (err instanceof UnsupportedRuleError) throw new UnsupportedRuleError(`${label}: ${err.message}`);
    throw err;
  }
}

function requireModel(schema: SchemaDef, model: string) {
  const def = schema.models[model];
  if (!def) throw new Error(`unknown model ${model}`);
  return def;
}

/** The model's `@@allow` / `@@deny` rules in schema order, memoised per schema and model. */
export const modelRules = perModel((schema, model): readonly Rule[] =>
  (requireModel(schema, model).attributes ?? [])
    .filter((a) => a.name === '@@allow' || a.name === '@@deny')
    .map((a, i) => toRule(schema, model, a, i)),
);

/** The model's field-level `@allow` / `@deny` rules, per field in schema order. */
export const fieldRules = perModel((schema, model): readonly FieldRule[] =>
  Object.values(requireModel(schema, model).fields).flatMap((field) =>
    (field.attributes ?? [])
      .filter((a) => a.name === '@allow' || a.name === '@deny')
      // Object.assign, not a spread: a spread would read the `sql` getter (and translate) right away.
      .map((a, i) => Object.assign(toRule(schema, model, a, i), { field: field.name })),
  ),
);

/** The rules that apply to `operation`, as ZenStack's policy plugin selects them. */
export function rulesFor(schema: SchemaDef, model: string, operation: PolicyOperation): readonly Rule[] {
  return modelRules(schema, model).filter((r) => r.operations.includes(operation));
}
