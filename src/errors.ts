/**
 * The error vocabulary of @acme/db. Every failure from a query is an
 * `ORMError` with a `reason`; consumers branch on the reason (see
 * `packages/api-contract` for the one place it becomes a tRPC code).
 */

export { InvalidSessionError } from '@acme/auth';
export { ORMError, ORMErrorReason, RejectedByPolicyReason } from '@zenstackhq/orm';
export { DbConfigError } from './config.ts';
