/**
 * The schema's access rules, one model of them: read once per schema and
 * model from the generated schema (always passed in, never imported here),
 * each rule with its tree, its ZModel text and its SQL; and the one evaluator
 * of those trees against a session. Policy folding, the fast paths, the
 * row-level-security generator (src/rls), explain() and the observability
 * outcome all read them here.
 */
export { type Decision, decide, decideOperation, fold, foldOperation, UNKNOWN } from './evaluate.ts';
export {
  type FieldRule,
  fieldRules,
  modelRules,
  OPERATIONS,
  type PolicyOperation,
  type Rule,
  rulesFor,
} from './model-rules.ts';
export { ruleText } from './rule-text.ts';
export { type DecidedOperation, decision, hasFieldRules, softDeletable, softDeleteField } from './session-decisions.ts';
