import type { AttributeApplication, Expression, SchemaDef } from '@zenstackhq/schema';
import { perModel } from '../per-model.ts';

/** An operation a rule names; `all` stands for create, read, update and delete (never post-update). */
export type RuleOperation = 'create' | 'read' | 'update' | 'post-update' | 'delete' | 'all';

/** One `@@allow` / `@@deny` (or field-level `@allow` / `@deny`) as the generated schema holds it. */
export interface Rule {
  readonly allow: boolean;
  /** The operations as written, in order (`'create, update'` → `['create', 'update']`). */
  readonly operations: readonly string[];
  /** The condition; a rule written without one is `false` (it grants or denies nothing). */
  readonly condition: Expression;
  /** The attribute as written, for messages: `@@allow`, `@@deny`, `@allow`, `@deny`. */
  readonly attribute: string;
  /** 1-based position among the model's rules, for messages. */
  readonly index: number;
}

/** A field-level rule, with the field it sits on. */
export interface FieldRule extends Rule {
  readonly field: string;
}

const FALSE: Expression = { kind: 'literal', value: false };

function toRule(a: AttributeApplication, index: number, allowName: string): Rule {
  const [operations, condition] = (a.args ?? []).map((arg) => arg.value);
  return {
    allow: a.name === allowName,
    operations: String(operations?.kind === 'literal' ? operations.value : '')
      .split(',')
      .map((o) => o.trim()),
    condition: condition ?? FALSE,
    attribute: a.name,
    index,
  };
}

function requireModel(schema: SchemaDef, model: string) {
  const def = schema.models[model];
  if (!def) throw new Error(`unknown model ${model}`);
  return def;
}

/** The model's `@@allow` / `@@deny` rules in schema order, memoised per schema and model. */
export const modelRules = perModel((schema, model): readonly Rule[] =>
  (requireModel(schema as SchemaDef, model).attributes ?? [])
    .filter((a) => a.name === '@@allow' || a.name === '@@deny')
    .map((a, i) => toRule(a, i + 1, '@@allow')),
);

/** The model's field-level `@allow` / `@deny` rules (the first per field, as written). */
export const fieldRules = perModel((schema, model): readonly FieldRule[] =>
  Object.values(requireModel(schema as SchemaDef, model).fields).flatMap((field) =>
    (field.attributes ?? [])
      .filter((a) => a.name === '@allow' || a.name === '@deny')
      .map((a, i) => ({ ...toRule(a, i + 1, '@allow'), field: field.name })),
  ),
);

/**
 * The rules that apply to `operation`, as ZenStack's policy plugin selects
 * them: a rule naming `all` applies to every operation except post-update.
 */
export function rulesFor(schema: SchemaDef, model: string, operation: Exclude<RuleOperation, 'all'>): Rule[] {
  return modelRules(schema, model).filter(
    (r) => r.operations.includes(operation) || (operation !== 'post-update' && r.operations.includes('all')),
  );
}
