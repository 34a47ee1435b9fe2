export {
  InvalidSessionError,
  parseSessionUser,
  ROLES,
  type Role,
  type SessionUser,
  sessionUserSchema,
} from './session.ts';
export { bearerToken, signSessionToken, type TokenProblem, UnauthenticatedError, verifySessionToken } from './token.ts';
