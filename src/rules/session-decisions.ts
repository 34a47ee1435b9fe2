import type { SchemaDef } from '@zenstackhq/orm/schema';
import { perModel } from '../per-model.ts';
import { type Decision, decideOperation } from './evaluate.ts';
import { fieldRules } from './model-rules.ts';

export type DecidedOperation = 'read' | 'create' | 'update' | 'delete';

/**
 * A session's decision for one model and operation, memoised per session:
 * the rules are fixed and the auth object is immutable (its identity is the
 * key, so a session that is rebuilt is decided again, never mixed up).
 */
const decisions = new WeakMap<object, Map<string, Decision>>();
export function decision(schema: SchemaDef, model: string, op: DecidedOperation, auth: object): Decision {
  let byKey = decisions.get(auth);
  if (!byKey) {
    byKey = new Map();
    decisions.set(auth, byKey);
  }
  const key = `${model}\u0000${op}`;
  let d = byKey.get(key);
  if (d === undefined) {
    d = decideOperation(schema, model, op, auth);
    byKey.set(key, d);
  }
  return d;
}

/** Whether any model has field-level rules (the fast paths then stand aside). */
const hasFieldRulesBySchema = new WeakMap<SchemaDef, boolean>();
export function hasFieldRules(schema: SchemaDef): boolean {
  let has = hasFieldRulesBySchema.get(schema);
  if (has === undefined) {
    has = Object.keys(schema.models).some((m) => fieldRules(schema, m).length > 0);
    hasFieldRulesBySchema.set(schema, has);
  }
  return has;
}

/** The model's `@deletedAt` field (its soft-delete marker), if it has one. */
export const softDeleteField = perModel(
  (schema, model) =>
    Object.values(schema.models[model]?.fields ?? {}).find((f) => f.attributes?.some((a) => a.name === '@deletedAt'))
      ?.name,
);

/** Models with a `@deletedAt` field: their reads and deletes go through soft delete. */
export const softDeletable = (schema: SchemaDef, model: string): boolean =>
  softDeleteField(schema, model) !== undefined;
