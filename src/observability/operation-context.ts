import { AsyncLocalStorage } from 'node:async_hooks';

/** The ORM operation a SQL statement belongs to, for its metrics and the slow-query log. */
export interface OperationContext {
  model: string;
  operation: string;
}

/**
 * Carried from the operation plugin (onQuery) to the statement plugin
 * (onKyselyQuery) through the async call chain. Not OpenTelemetry's context:
 * without an SDK that one propagates nothing, and metrics need it anyway.
 */
export const operationContext = new AsyncLocalStorage<OperationContext>();
