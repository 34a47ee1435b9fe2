/**
 * Every use of a ZenStack or Kysely API that is not public, and every copy of
 * their behaviour, lives in this folder (README: "ZenStack internals"). Each
 * has a contract test in tests/zenstack-internals/; importing the module
 * checks the installed versions against the verified ones.
 */
import { checkVersions } from './versions.ts';

checkVersions();

export {
  asHandlerError,
  type CompiledStatement,
  compileAsZenStack,
  executeCompiled,
  isTransactionClient,
} from './compile.ts';
export { ConstantPolicyPlugin } from './constant-policy-plugin.ts';
export { AS, type As, convert } from './input-conversions.ts';
export { LateralFencePlugin } from './lateral-fence.ts';
export { pluginClientOf, type RefusedUpFront, withModelDelegates } from './model-delegates.ts';
export { PagedFindManyPlugin } from './paged-find-many.ts';
export { asZenStackPlugins } from './plugin-order.ts';
export { queryTables } from './query-tables.ts';
export { ResultMapper, sameResult } from './result-mapper.ts';
export { onlyIds } from './soft-delete-own-writes.ts';
export { checkVersions, UnverifiedDependencyError, VERIFIED_VERSIONS } from './versions.ts';
