export {
  InvalidSessionError,
  parseSessionUser,
  ROLES,
  type Role,
  type SessionUser,
  sessionUserSchema,
} from './session.ts';
