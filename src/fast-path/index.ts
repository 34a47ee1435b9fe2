export { ConstantPolicyPlugin } from './constant-policy-plugin.ts';
export { LateralFencePlugin } from './lateral-fence.ts';
export { PagedFindManyPlugin } from './paged-find-many.ts';
export { debugFallback, fastPathsEnabled, preparedStatementsEnabled } from './switch.ts';
export { type TwinOf, WritePathPlugin } from './write-path.ts';
