export { ConstantPolicyPlugin } from './constant-policy-plugin.ts';
export { PagedFindManyPlugin } from './paged-find-many.ts';
export { debugFallback, fastPathsEnabled } from './switch.ts';
