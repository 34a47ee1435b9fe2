export { ConstantPolicyPlugin, LateralFencePlugin, PagedFindManyPlugin } from '../zenstack-internals/index.ts';
export { debugFallback, fastPathsEnabled, preparedStatementsEnabled } from './switch.ts';
export { type TwinOf, WritePathPlugin } from './write-path.ts';
