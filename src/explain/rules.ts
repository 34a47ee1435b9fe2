import type { SchemaDef } from '@zenstackhq/orm/schema';
import { perModel } from '../per-model.ts';
import { renderExpr } from './render.ts';
import { type Expr, ruleToSql } from './rule-sql.ts';

export const OPERATIONS = ['read', 'create', 'update', 'post-update', 'delete'] as const;
export type PolicyOperation = (typeof OPERATIONS)[number];

/** One `@@allow` / `@@deny` of a model, as written and as SQL. */
export interface ModelRule {
  /** Position among the model's rules, from 0. */
  index: number;
  kind: 'allow' | 'deny';
  /** The operations it covers; `all` expanded (it never covers post-update, as in ZenStack). */
  operations: PolicyOperation[];
  /** The rule as ZModel source, e.g. `@@allow('read', auth() != null)`. */
  text: string;
  /** Its condition alone, e.g. `auth() != null`. */
  condition: string;
  expr: Expr;
  /** A PostgreSQL boolean over the row aliased as the model's table name (see src/rls/policies-sql.ts). */
  sql: string;
}

/** A field-level `@allow` / `@deny`: not a row rule, listed so explain() can say what it depends on. */
export interface FieldRule {
  field: string;
  kind: 'allow' | 'deny';
  operations: string[];
  condition: string;
}

const ALL: PolicyOperation[] = ['create', 'read', 'update', 'delete'];

export const modelRules = perModel((schema: SchemaDef, model: string): ModelRule[] =>
  (schema.models[model]?.attributes ?? [])
    .filter((a) => a.name === '@@allow' || a.name === '@@deny')
    .map((a, index) => {
      const [ops, condition] = (a.args ?? []).map((arg) => arg.value as unknown as Expr);
      const raw = String(ops?.value ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      const expr = condition ?? { kind: 'literal', value: false };
      const text = renderExpr(expr);
      return {
        index,
        kind: a.name === '@@allow' ? 'allow' : 'deny',
        operations: [...new Set(raw.flatMap((o) => (o === 'all' ? ALL : [o as PolicyOperation])))],
        text: `${a.name}('${raw.join(',')}', ${text})`,
        condition: text,
        expr,
        sql: ruleToSql(schema, model, expr),
      };
    }),
);

export const fieldRules = perModel((schema: SchemaDef, model: string): FieldRule[] =>
  Object.values(schema.models[model]?.fields ?? {}).flatMap((field) =>
    (field.attributes ?? [])
      .filter((a) => a.name === '@allow' || a.name === '@deny')
      .map((a) => {
        const [ops, condition] = (a.args ?? []).map((arg) => arg.value as unknown as Expr);
        return {
          field: field.name,
          kind: a.name === '@allow' ? ('allow' as const) : ('deny' as const),
          operations: String(ops?.value ?? '').split(','),
          condition: condition ? renderExpr(condition) : 'true',
        };
      }),
  ),
);

/** Whether `rule` covers `operation`. */
export const covers = (rule: ModelRule, operation: PolicyOperation) => rule.operations.includes(operation);
