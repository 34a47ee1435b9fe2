export { type ExplainOptions, type Explanation, explain, type ModelName, type RowExplanation } from './explain.ts';
export { type ModelRule, modelRules, OPERATIONS, type PolicyOperation } from './rules.ts';
export type { Decision, OperationVerdict, RuleOutcome, RuleValue } from './verdict.ts';
