import type { SchemaDef } from '@zenstackhq/orm/schema';
import { foldOperation, UNKNOWN } from '../rules/index.ts';

export type PolicyOutcome = 'allowed' | 'filtered' | 'denied' | 'unrestricted';

const ACTION: Record<string, 'create' | 'update' | 'delete'> = {
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
  const decided = foldOperation(schema, model, ACTION[operation] ?? 'read', auth ?? null);
  return decided === UNKNOWN ? 'filtered' : decided ? 'allowed' : 'denied';
}
