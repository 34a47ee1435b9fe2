export { OPERATIONS, type PolicyOperation } from '../rules/index.ts';
export { type ExplainOptions, type Explanation, explain, type ModelName, type RowExplanation } from './explain.ts';
export type { Decision, OperationVerdict, RuleOutcome, RuleValue } from './verdict.ts';
