/**
 * The one home of @acme/db's errors: what a query failure is (ORMError and
 * its reasons; `policyRejection` for refusals decided outside ZenStack's
 * policy plugin), whether it is worth retrying (`isRetriable`, from the one
 * SQLSTATE table), and the classes @acme/db throws itself. src/index.ts
 * exports the public ones from here.
 *
 * Two homes hold errors on purpose besides this one: `@acme/auth` (session
 * and token errors; it sits below @acme/db, which re-exports
 * InvalidSessionError) and, for now, src/orgs/errors.ts (re-exported here),
 * which moves in once the organization router's rewrite lands.
 */

export {
  OrgAccessError,
  OrgForbiddenError,
  OrgNotFoundError,
  OrgRoutingError,
  orgAccessErrorOf,
} from '../orgs/errors.ts';
export { DbConfigError, PolicyBypassError, UnsupportedRuleError } from './classes.ts';
export {
  InvalidSessionError,
  isRetriable,
  ORMError,
  ORMErrorReason,
  policyRejection,
  RejectedByPolicyReason,
  refusedAsNotFound,
} from './orm-errors.ts';
export { type DbErrorKind, type KnownSqlState, SQLSTATES, type SqlStateInfo, sqlStateInfo } from './sqlstate.ts';
