import type { SchemaDef } from '@zenstackhq/orm/schema';
import { AUDIT_MODEL } from '../audit/audit-entries.ts';
import type { PolicyOperation, Rule } from '../rules/index.ts';

/** A rule's value for one row and session: `not applicable` when it does not cover the operation. */
export type RuleValue = true | false | 'not applicable';

export interface RuleOutcome {
  index: number;
  kind: 'allow' | 'deny';
  text: string;
  value: RuleValue;
}

/** What decided an operation: a rule, or one of the layers around the rules. */
export type Decision =
  | { by: 'rule'; index: number; kind: 'allow' | 'deny'; text: string }
  | { by: 'no-allow'; text: string; rules: number[] }
  | { by: 'default'; text: string }
  | { by: 'soft-delete'; text: string }
  | { by: 'audit-log'; text: string };

export interface OperationVerdict {
  allowed: boolean;
  decidedBy: Decision;
  rules: RuleOutcome[];
  /** What else the outcome depends on (relations, nested writes, field rules, how the row is judged). */
  dependsOn: string[];
}

export interface VerdictContext {
  schema: SchemaDef;
  model: string;
  /** Soft-deleted (the model's `@deletedAt` field is set). */
  deleted: boolean;
  includeDeleted: boolean;
}

/**
 * ZenStack's combination, per operation (plugin-policy `buildPolicyFilter`):
 * allowed when some `@@allow` holds and no `@@deny` holds (a NULL counts as
 * false either way); post-update with no `@@allow` is allowed. Then the
 * layers outside the rules that `createDb` also applies: soft delete hides
 * deleted rows from reads and updates, and the audit plugin refuses an
 * AuditLog mutation that the rules would let through.
 */
export function verdictFor(
  rules: readonly Rule[],
  values: Record<number, boolean | null>,
  operation: PolicyOperation,
  ctx: VerdictContext,
): Omit<OperationVerdict, 'dependsOn'> {
  const outcomes: RuleOutcome[] = rules.map((r) => ({
    index: r.index,
    kind: r.kind,
    text: r.text,
    value: r.operations.includes(operation) ? values[r.index] === true : 'not applicable',
  }));
  const applicable = rules.filter((r) => r.operations.includes(operation));
  const denying = applicable.find((r) => r.kind === 'deny' && values[r.index] === true);
  const allows = applicable.filter((r) => r.kind === 'allow');
  const granting = allows.find((r) => values[r.index] === true);

  let decidedBy: Decision;
  let allowed: boolean;
  if (ctx.deleted && !ctx.includeDeleted && (operation === 'read' || operation === 'update')) {
    allowed = false;
    decidedBy = {
      by: 'soft-delete',
      text: 'the row is soft-deleted: createDb hides it from reads and updates (createDb(session, { includeDeleted: true }) shows it)',
    };
  } else if (ctx.deleted && operation === 'delete') {
    allowed = false;
    decidedBy = { by: 'soft-delete', text: 'the row is already soft-deleted: a delete marks live rows only' };
  } else if (denying) {
    allowed = false;
    decidedBy = { by: 'rule', index: denying.index, kind: 'deny', text: denying.text };
  } else if (granting && ctx.model === AUDIT_MODEL && operation !== 'read') {
    // The rule exists for row-level security (the plugin's own inserts); through the ORM the plugin refuses.
    allowed = false;
    decidedBy = {
      by: 'audit-log',
      text: 'AuditLog is append-only: the audit plugin refuses every mutation of it through the ORM',
    };
  } else if (granting) {
    allowed = true;
    decidedBy = { by: 'rule', index: granting.index, kind: 'allow', text: granting.text };
  } else if (operation === 'post-update' && allows.length === 0) {
    allowed = true;
    decidedBy = { by: 'default', text: 'no post-update @@allow rule: allowed unless a @@deny holds' };
  } else {
    allowed = false;
    const numbers = allows.map((r) => r.index);
    decidedBy = {
      by: 'no-allow',
      rules: numbers,
      text: allows.length
        ? `no @@allow rule for ${operation} holds (${numbers.length === 1 ? 'rule' : 'rules'} ${numbers.join(', ')}: false)`
        : `no @@allow rule covers ${operation}`,
    };
  }
  return { allowed, decidedBy, rules: outcomes };
}
