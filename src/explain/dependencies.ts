import type { SchemaDef } from '@zenstackhq/orm/schema';
import type { Expr } from '../rls/expression-sql.ts';
import { fieldRules, type PolicyOperation, type Rule } from '../rules/index.ts';

/**
 * What an operation's outcome depends on beyond the row's own rule values:
 * how the row is judged (create and post-update are judged on the data
 * written), relations the rules read, nested writes through a parent, and
 * field-level rules. Sentences for people, derived from the schema.
 */
export function dependenciesOf(
  schema: SchemaDef,
  model: string,
  rules: readonly Rule[],
  operation: PolicyOperation,
): string[] {
  const out: string[] = [];
  if (operation === 'create') {
    out.push(`judged on the data being created: shown for a new ${model} with this row's values`);
  }
  if (operation === 'post-update') {
    out.push('judged on the row after the change: shown for an update that leaves these values as they are');
  }
  if (operation === 'update') {
    out.push(`the update must also pass post-update, judged on the ${model} row after the change`);
  }
  const applicable = rules.filter((r) => r.operations.includes(operation));
  for (const relation of new Set(applicable.flatMap((r) => relationsRead(schema, model, r.expr)))) {
    out.push(`reads the related ${relation} rows (as the database owner, not through their own rules)`);
  }
  if (applicable.some((r) => mentionsAuthMember(r.expr, 'memberships'))) {
    out.push("the session's clinic memberships, as loadSession loads them (removing one takes effect next request)");
  }
  const fields = schema.models[model]?.fields ?? {};
  for (const field of Object.values(fields)) {
    if (!field.relation || field.array || !field.relation.fields?.length) continue;
    const parent = field.type;
    const back = field.relation.opposite;
    const verb = operation === 'post-update' ? 'update' : operation;
    if (back && verb !== 'read') {
      // src/nested-write-parent.ts: a write through a parent is an update of that parent, so it needs the
      // parent's update rule as well as the child's own (tests/explain/nested-writes.test.ts).
      out.push(
        `a nested ${verb} through ${parent}.update({ data: { ${back}: { ${verb}: … } } }) is judged by ${model}'s ${verb} rules and needs update on the parent ${parent}`,
      );
    }
  }
  for (const rule of fieldRules(schema, model)) {
    if (rule.written.some((o) => o === operation || o === 'all')) {
      out.push(
        `field ${rule.field}: @${rule.kind}(${rule.condition}) applies when the field is ${operation === 'read' ? 'read' : 'written'}`,
      );
    }
  }
  return out;
}

function relationsRead(schema: SchemaDef, model: string, e: unknown): string[] {
  if (!e || typeof e !== 'object') return [];
  const expr = e as Expr;
  const here: string[] = [];
  if (expr.kind === 'field') {
    const def = schema.models[model]?.fields[expr.field as string];
    if (def?.relation) here.push(def.type);
  }
  return [
    ...here,
    ...Object.values(expr).flatMap((v) =>
      Array.isArray(v) ? v.flatMap((x) => relationsRead(schema, model, x)) : relationsRead(schema, model, v),
    ),
  ];
}

function mentionsAuthMember(e: unknown, name: string): boolean {
  if (!e || typeof e !== 'object') return false;
  const expr = e as Expr;
  if (
    expr.kind === 'member' &&
    (expr.receiver as Expr).kind === 'call' &&
    (expr.receiver as Expr).function === 'auth' &&
    (expr.members as string[])[0] === name
  ) {
    return true;
  }
  return Object.values(expr).some((v) =>
    Array.isArray(v) ? v.some((x) => mentionsAuthMember(x, name)) : mentionsAuthMember(v, name),
  );
}
