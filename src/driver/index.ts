export { AcmeDialect } from './dialect.ts';
export type { ConnectionSource, DriverOptions } from './options.ts';
export { ConnectionBudgetTimeoutError, type ConnectionPermits, permitClient } from './permit-client.ts';
export { ReplicaPools } from './replica-pools.ts';
export { setAuthSql } from './send.ts';
export { contextCacheEnabled } from './session-cache.ts';
export { kindOf, type StatementKind, statementKind } from './statement-kind.ts';
