/**
 * The error vocabulary of @acme/db. Every failure from a query is an
 * `ORMError` with a `reason`; consumers branch on the reason (see
 * `packages/api-contract` for the one place it becomes a tRPC code).
 */

export { InvalidSessionError } from '@acme/auth';
export { ORMError, ORMErrorReason, RejectedByPolicyReason } from '@zenstackhq/orm';
export { DbConfigError } from './config.ts';

/** SQLSTATE classes and codes after which the same operation may succeed when simply tried again. */
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300']);
const RETRIABLE_MESSAGES =
  /Connection terminated|terminating connection|connection timeout|ECONNRESET|ECONNREFUSED|timeout exceeded when trying to connect/i;

/**
 * Whether an error is transient: a dropped or terminated connection, a
 * server restart, a serialization failure or deadlock, no free connection.
 * Such an operation changed nothing and can be retried as it is.
 *
 * @example
 * try { await db.clinic.findMany() } catch (err) { if (isRetriable(err)) retryLater() }
 */
export function isRetriable(err: unknown): boolean {
  // ORMError keeps the driver error as `cause`; walk the chain.
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const { dbErrorCode, code, message, cause } = e as {
      dbErrorCode?: unknown;
      code?: unknown;
      message?: unknown;
      cause?: unknown;
    };
    for (const state of [dbErrorCode, code]) {
      if (typeof state === 'string' && (RETRIABLE_SQLSTATES.has(state) || state.startsWith('08'))) return true;
    }
    if (typeof message === 'string' && RETRIABLE_MESSAGES.test(message)) return true;
    e = cause;
  }
  return false;
}
