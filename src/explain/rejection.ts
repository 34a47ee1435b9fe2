import { type AnyPlugin, ORMError, ORMErrorReason, RejectedByPolicyReason } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { AUDIT_MODEL } from '../audit/audit-entries.ts';
import { perModel } from '../per-model.ts';
import { fold as evaluate, type Rule as ModelRule, modelRules, type PolicyOperation } from '../rules/index.ts';
import { refusalBehindNotFound, SINGLE_ROW } from './refused-write.ts';

/** A rule as a rejection reports it: its value judged on the session alone. */
export interface RejectedRule {
  kind: 'allow' | 'deny';
  text: string;
  /** `depends on the row`: the rule reads the row, which a rejection never evaluates or reveals. */
  value: boolean | 'depends on the row';
}

/** What a `rejected-by-policy` error carries in `error.policy`. */
export interface PolicyRejectionDetails {
  model: string;
  operation: PolicyOperation;
  /** The rules of that operation: the allows that would grant it, the denies that may refuse it. */
  rules: RejectedRule[];
  /** The session's own attributes the rules read (never a row's). */
  session: { anonymous: boolean; role?: string; id?: string; memberships?: number };
  /** The message the error had before it was explained. */
  original: string;
}

/** The details an error carries, if it is a policy rejection that was explained. */
export function policyRejectionDetails(err: unknown): PolicyRejectionDetails | undefined {
  return err instanceof ORMError ? (err as ORMError & { policy?: PolicyRejectionDetails }).policy : undefined;
}

/**
 * Which rules a refused operation needed, judged on the session alone
 * (ZenStack folds all rules into one query, so its error cannot say:
 * zenstackhq/zenstack#1723). Row-dependent rules are named with their text
 * and reported as `depends on the row`: no value of a row the session may not
 * read reaches the message. Sets `error.policy` and rewrites the message, e.g.
 * "Clinic create needs auth().role == 'ADMIN'; the session's role is USER".
 */
export function explainRejection(
  err: ORMError,
  schema: SchemaDef,
  model: string,
  operation: PolicyOperation,
  auth: unknown,
): ORMError {
  if (policyRejectionDetails(err) || !schema.models[model]) return err;
  const of = operationRules(schema, model, operation);
  const judged = of.rules.map((r) => judge(r, auth));
  const session = sessionFacts(auth);
  const details: PolicyRejectionDetails = { model, operation, rules: judged, session, original: err.message };
  (err as ORMError & { policy?: PolicyRejectionDetails }).policy = details;
  err.message = sentence(details, of);
  return err;
}

/** An operation's rules and which session attributes they read: fixed per schema, so worked out once. */
interface OperationRules {
  rules: readonly ModelRule[];
  readsRole: boolean;
  readsMemberships: boolean;
}
/** Per model, each operation's rules worked out on first use (perModel memoises the model's map). */
const rulesByOperation = perModel(() => new Map<PolicyOperation, OperationRules>());

function operationRules(schema: SchemaDef, model: string, operation: PolicyOperation): OperationRules {
  const byOperation = rulesByOperation(schema, model);
  let found = byOperation.get(operation);
  if (!found) {
    const rules = modelRules(schema, model).filter((r) => r.operations.includes(operation));
    // The rules' trees as JSON: whether any reads the session's role or memberships (a refusal's facts).
    const reads = rules.map((r) => JSON.stringify(r.expr));
    found = {
      rules,
      readsRole: reads.some((t) => t.includes('"role"')),
      readsMemberships: reads.some((t) => t.includes('"memberships"')),
    };
    byOperation.set(operation, found);
  }
  return found;
}

function judge(rule: ModelRule, auth: unknown): RejectedRule {
  const value = evaluate(rule.expr, auth ?? null);
  return {
    kind: rule.kind,
    text: rule.condition,
    value: typeof value === 'symbol' ? 'depends on the row' : value === true,
  };
}

function sessionFacts(auth: unknown): PolicyRejectionDetails['session'] {
  if (!auth || typeof auth !== 'object') return { anonymous: true };
  const { id, role, memberships } = auth as { id?: string; role?: string; memberships?: unknown[] };
  return { anonymous: false, role, id, memberships: memberships?.length ?? 0 };
}

function sentence(d: PolicyRejectionDetails, of: OperationRules): string {
  const allows = d.rules.filter((r) => r.kind === 'allow');
  const denies = d.rules.filter((r) => r.kind === 'deny' && r.value !== false);
  const shown = (r: RejectedRule) => (r.value === 'depends on the row' ? `${r.text} (depends on the row)` : r.text);
  const parts: string[] = [];
  const held = denies.find((r) => r.value === true);
  if (held) parts.push(`${d.model} ${d.operation} is denied by ${held.text}`);
  else if (allows.length === 0 && d.operation !== 'post-update')
    parts.push(`no rule allows ${d.operation} on ${d.model}`);
  else {
    const needed = allows.filter((r) => r.value !== true);
    parts.push(`${d.model} ${d.operation} needs ${(needed.length ? needed : allows).map(shown).join(' or ')}`);
    if (denies.length) parts.push(`and none of ${denies.map(shown).join(', ')}`);
  }
  const facts: string[] = [];
  if (d.session.anonymous) facts.push('the session is anonymous');
  else {
    if (of.readsRole) facts.push(`the session's role is ${d.session.role}`);
    if (of.readsMemberships) {
      facts.push(
        `it has ${d.session.memberships === 0 ? 'no' : d.session.memberships} clinic membership${d.session.memberships === 1 ? '' : 's'}`,
      );
    }
  }
  return `${parts.join(' ')}${facts.length ? `; ${facts.join(', ')}` : ''}`;
}

/** Which operation's rules a rejection of `operation` (a ZenStack CRUD call) is about. */
function operationOf(operation: string, err: ORMError, model: string): PolicyOperation {
  if (err.rejectedByPolicyReason === RejectedByPolicyReason.CANNOT_READ_BACK) return 'read';
  if (err.model && err.model !== model) return 'create'; // a nested write's model: nested creates are the ones rejected
  if (operation.startsWith('create') || operation === 'upsert') return 'create';
  if (operation.startsWith('update')) return 'post-update';
  if (operation.startsWith('delete')) return 'delete';
  return 'read';
}

/**
 * Outermost plugin of a session client: explains every rejected-by-policy
 * error on its way out, whoever raised it (ZenStack's policy plugin, policy
 * folding, PostgreSQL's row-level security), and tells a refused update or
 * delete of a readable row from a missing one (refused-write.ts). The audit
 * log's own refusal already says why and is left as it is.
 */
export class PolicyExplainPlugin implements AnyPlugin {
  readonly id = 'policy-explain';
  readonly name = 'Explain policy rejections';

  onQuery: NonNullable<AnyPlugin['onQuery']> = async ({ model, operation, args, proceed, client }) => {
    try {
      return await proceed(args);
    } catch (err) {
      if (err instanceof ORMError && err.reason === ORMErrorReason.REJECTED_BY_POLICY) {
        const target = err.model ?? model;
        if (target !== AUDIT_MODEL)
          explainRejection(err, client.$schema, target, operationOf(operation, err, model), client.$auth);
      }
      // A refused update/delete of a row the session can read: rejected-by-policy, not "not found".
      const refusal = await refusalBehindNotFound(err, client, model, operation, args);
      const action = SINGLE_ROW[operation];
      if (refusal && action) throw explainRejection(refusal, client.$schema, model, action, client.$auth);
      throw err;
    }
  };
}
