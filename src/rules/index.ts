/**
 * The schema's access rules as typed data, read once per schema and model:
 * policy folding (src/policy-folding.ts), the row-level-security generator
 * (src/rls) and the fast paths (src/fast-path) all read them here.
 */
export { type FieldRule, fieldRules, modelRules, type Rule, type RuleOperation, rulesFor } from './model-rules.ts';
export { type Decision, decide, decideOperation } from './session-decision.ts';
export { evaluate, UNKNOWN } from './session-value.ts';
