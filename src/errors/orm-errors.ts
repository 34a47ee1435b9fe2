/**
 * The error vocabulary of @acme/db. Every failure from a query is an
 * `ORMError` with a `reason`; consumers branch on the reason (see
 * `packages/api-contract` for the one place it becomes a tRPC code).
 */

export { InvalidSessionError } from '@acme/auth';

import { ORMError, ORMErrorReason, RejectedByPolicyReason } from '@zenstackhq/orm';

import { sqlStateInfo } from './sqlstate.ts';

export { DbConfigError } from './classes.ts';
export { ORMError, ORMErrorReason, RejectedByPolicyReason };

/**
 * The error ZenStack's policy plugin throws for a refused write (reason
 * rejected-by-policy, no-access, the model named), for refusals decided
 * elsewhere: folded rules, the audit log's guard, PostgreSQL's row-level
 * security. Callers see one kind of refusal, whoever decided it.
 */
export function policyRejection(model: string | undefined, message: string, cause?: unknown): ORMError {
  const error = refusal(ORMErrorReason.REJECTED_BY_POLICY, message, cause);
  if (model !== undefined) error.model = model;
  error.rejectedByPolicyReason = RejectedByPolicyReason.NO_ACCESS;
  return error;
}

/** The not-found ZenStack gives a refused `update`/`delete`, for refusals decided without SQL (policy folding). */
export function refusedAsNotFound(model: string): ORMError {
  const error = refusal(ORMErrorReason.NOT_FOUND, `${model} not found`);
  error.model = model;
  return error;
}

/**
 * An ORMError without a captured stack trace. A refusal is an answer, not a
 * bug: what it means is in its reason, model, message and rule details
 * (src/explain/), and the frames would point into plugin internals after an
 * await anyway. Capturing them was most of a denied write's cost (V8 walks
 * the stack at construction: ~27 µs against ~4 µs without, bench/RESULTS.md
 * "Writes (h10)"). A driver error behind it stays reachable as `cause`, with
 * its own stack.
 */
function refusal(reason: ORMErrorReason, message: string, cause?: unknown): ORMError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ORMError(reason, message, cause === undefined ? undefined : { cause });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const RETRIABLE_MESSAGES =
  /Connection terminated|terminating connection|connection timeout|ECONNRESET|ECONNREFUSED|timeout exceeded when trying to connect/i;

/**
 * Whether an error is transient: a dropped or terminated connection, a
 * server restart, a serialization failure or deadlock, no free connection
 * (SQLSTATEs of kind `transient` in sqlstate.ts, or the driver's own words).
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
      if (sqlStateInfo(state)?.kind === 'transient') return true;
    }
    if (typeof message === 'string' && RETRIABLE_MESSAGES.test(message)) return true;
    e = cause;
  }
  return false;
}
