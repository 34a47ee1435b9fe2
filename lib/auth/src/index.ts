export {
  CLINIC_ROLES,
  type ClinicRole,
  InvalidSessionError,
  isValidSession,
  MAX_MEMBERSHIPS,
  type Membership,
  membershipSchema,
  ORG_SLUG,
  parseSessionUser,
  ROLES,
  type Role,
  type SessionInput,
  type SessionUser,
  sessionUserSchema,
  type ValidSession,
} from './session.ts';
export { bearerToken, signSessionToken, type TokenProblem, UnauthenticatedError, verifySessionToken } from './token.ts';
