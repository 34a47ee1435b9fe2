import { z } from 'zod';

/** Roles a session can carry; the policy rules in @acme/db compare against these. */
export const ROLES = ['USER', 'ADMIN', 'SUPPORT'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The authenticated user a request acts as. This is what `createDb(session)`
 * binds as `auth()` in the ZenStack policy rules.
 */
export const sessionUserSchema = z
  .object({
    id: z.string().trim().min(1, 'session id must be a non-empty string').max(128),
    role: z.enum(ROLES),
  })
  .strict();

export type SessionUser = z.infer<typeof sessionUserSchema>;

/** Thrown when a session payload does not describe a valid user. */
export class InvalidSessionError extends Error {
  override readonly name = 'InvalidSessionError';
  constructor(readonly issues: readonly string[]) {
    super(`Invalid session: ${issues.join('; ')}`);
  }
}

/**
 * Parses an untrusted session payload (a decoded token, a cookie, a test
 * fixture). Anything that is not exactly `{ id, role }` with a known role is
 * rejected: an invalid session is never treated as some user.
 *
 * @example
 * parseSessionUser({ id: 'u_1', role: 'ADMIN' }) // => { id: 'u_1', role: 'ADMIN' }
 * parseSessionUser({ id: 'u_1', role: 'ROOT' })  // throws InvalidSessionError
 */
export function parseSessionUser(payload: unknown): SessionUser {
  const result = sessionUserSchema.safeParse(payload);
  if (result.success) return result.data;
  throw new InvalidSessionError(result.error.issues.map((i) => `${i.path.join('.') || 'session'}: ${i.message}`));
}
