export { ConstantPolicyPlugin } from './constant-policy-plugin.ts';
export { LateralFencePlugin } from './lateral-fence.ts';
export { PagedFindManyPlugin } from './paged-find-many.ts';
export { preparedStatementsEnabled, usePreparedStatements } from './prepared-statements.ts';
export { debugFallback, fastPathsEnabled } from './switch.ts';
export { withLazyBegin } from './whole-transaction.ts';
export { type TwinOf, WritePathPlugin } from './write-path.ts';
