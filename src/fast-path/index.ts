export { ConstantPolicyPlugin } from './constant-policy-plugin.ts';
export { PagedFindManyPlugin } from './paged-find-many.ts';
export { preparedStatementsEnabled, usePreparedStatements } from './prepared-statements.ts';
export { debugFallback, fastPathsEnabled } from './switch.ts';
