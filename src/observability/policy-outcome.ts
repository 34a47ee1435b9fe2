import { QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { perModel } from '../per-model.ts';
import { evaluate } from '../policy-folding.ts';

export type PolicyOutcome = 'allowed' | 'filtered' | 'denied' | 'unrestricted';

const ACTION: Record<string, string> = {
  create: 'create',
  createMany: 'create',
  createManyAndReturn: 'create',
  upsert: 'update',
  update: 'update',
  updateMany: 'update',
  updateManyAndReturn: 'update',
  delete: 'delete',
  deleteMany: 'delete',
};

const rulesOf = perModel((schema, model) =>
  (QueryUtils.requireModel(schema, model).attributes ?? [])
    .filter((a) => a.name === '@@allow' || a.name === '@@deny')
    .map((a) => {
      const [operation, condition] = (a.args ?? []).map((arg) => arg.value as unknown as { kind: string });
      const ops = String((operation as { value?: unknown } | undefined)?.value ?? '').split(',');
      return {
        allow: a.name === '@@allow',
        operations: ops.map((o) => o.trim()),
        condition: condition ?? { kind: 'literal', value: false },
      };
    }),
);

/**
 * What the access rules did to an operation that completed, judged from the
 * session alone (the same evaluation as policy folding): `allowed` when an
 * allow rule holds whatever the row and no deny rule can, `denied` when no
 * allow rule can hold, `filtered` when the answer depends on the rows (the
 * rules narrowed what it saw or touched). The system client has no rules:
 * `unrestricted`.
 */
export function policyOutcome(
  schema: SchemaDef,
  model: string,
  operation: string,
  auth: unknown,
  enforced: boolean,
): PolicyOutcome {
  if (!enforced) return 'unrestricted';
  const action = ACTION[operation] ?? 'read';
  const rules = rulesOf(schema, model).filter((r) => r.operations.includes(action) || r.operations.includes('all'));
  const value = (r: (typeof rules)[number]) => evaluate(r.condition, auth ?? null);
  const denies = rules.filter((r) => !r.allow).map(value);
  const allows = rules.filter((r) => r.allow).map(value);
  if (denies.includes(true) || allows.every((v) => v === false)) return 'denied';
  if (denies.every((v) => v === false) && allows.includes(true)) return 'allowed';
  return 'filtered';
}
