export { ConstantPolicyPlugin } from './constant-policy-plugin.ts';
export { debugFallback, fastPathsEnabled } from './switch.ts';
