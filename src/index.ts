export type { ClinicRole, Membership, SessionInput, SessionUser, ValidSession } from '@acme/auth';
export type {
  AuditLog,
  Auth,
  Clinic,
  ClinicMembership,
  Patient,
  Treatment,
  TreatmentsByClinic,
} from '../zenstack/models.ts';
export { AUDIT_MODEL, type AuditAction } from './audit/audit-entries.ts';
export { createManyChunked, rowsPerStatement } from './bulk.ts';
export {
  closeDb,
  createDb,
  createSystemDb,
  type DbOptions,
  type EnhancedClient,
  minLsnOf,
  type PoolStats,
  poolStats,
} from './client.ts';
export { type DbConfig, readDbConfig, redactUrl } from './config.ts';
export {
  DbConfigError,
  type DbErrorKind,
  InvalidSessionError,
  isRetriable,
  type KnownSqlState,
  ORMError,
  ORMErrorReason,
  OrgAccessError,
  OrgForbiddenError,
  OrgNotFoundError,
  OrgRoutingError,
  orgAccessErrorOf,
  PolicyBypassError,
  RejectedByPolicyReason,
  SQLSTATES,
  type SqlStateInfo,
  sqlStateInfo,
} from './errors/index.ts';
export {
  type ExplainOptions,
  type Explanation,
  explain,
  type OperationVerdict,
  type PolicyOperation,
  type RowExplanation,
} from './explain/index.ts';
export { type PolicyRejectionDetails, policyRejectionDetails } from './explain/rejection.ts';
export type { QueryCacheStats } from './fast-path/query-cache/index.ts';
export type { CredentialsResolver, OrgCredentials, OrgDatabaseRef } from './orgs/credentials.ts';
export { orgPoolStats, setOrgCredentialsResolver } from './orgs/mode.ts';
export type { OrgPoolStats } from './orgs/router.ts';
export { findManyPaged, type PageArgs } from './paging.ts';
export { loadSession } from './session.ts';
