export type { SessionUser } from '@acme/auth';
export type { Auth, Clinic, Treatment, TreatmentsByClinic } from '../zenstack/models.ts';
export { createManyChunked, rowsPerStatement } from './bulk.ts';
export { closeDb, createDb, type EnhancedClient, poolStats } from './client.ts';
export { type DbConfig, readDbConfig, redactUrl } from './config.ts';
export {
  DbConfigError,
  InvalidSessionError,
  isRetriable,
  ORMError,
  ORMErrorReason,
  RejectedByPolicyReason,
} from './errors.ts';
export { PolicyBypassError } from './guard.ts';
export { findManyPaged, type PageArgs } from './paging.ts';
