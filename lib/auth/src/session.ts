import { z } from 'zod';

/** Roles a session can carry; the policy rules in @acme/db compare against these. */
export const ROLES = ['USER', 'ADMIN', 'SUPPORT'] as const;
export type Role = (typeof ROLES)[number];

/** What a member may do inside one clinic (the `ClinicRole` enum in @acme/db). */
export const CLINIC_ROLES = ['STAFF', 'VIEWER'] as const;
export type ClinicRole = (typeof CLINIC_ROLES)[number];

/**
 * The policy rules unroll memberships into one SQL term each, so a session
 * carries a bounded number; beyond it, model the access differently.
 */
export const MAX_MEMBERSHIPS = 500;

/** An organization's slug (organization mode, see @acme/db's README): also its database's name suffix. */
export const ORG_SLUG = /^[a-z][a-z0-9-]{1,40}$/;

export const membershipSchema = z.object({ clinicId: z.string().min(1).max(128), role: z.enum(CLINIC_ROLES) }).strict();

/**
 * The authenticated user a request acts as. This is what `createDb(session)`
 * binds as `auth()` in the ZenStack policy rules. `memberships` are the
 * clinics the user belongs to; build them with `loadSession` from @acme/db
 * rather than by hand, so they match the database.
 */
export const sessionUserSchema = z
  .object({
    id: z.string().trim().min(1, 'session id must be a non-empty string').max(128),
    role: z.enum(ROLES),
    memberships: z.array(membershipSchema).max(MAX_MEMBERSHIPS).default([]),
    // Organization mode only: which organization's database the session works
    // in (the central Organization id, or its slug). Absent in single-database mode.
    orgId: z.string().min(1).max(64).optional(),
    orgSlug: z.string().regex(ORG_SLUG, 'orgSlug must match ^[a-z][a-z0-9-]{1,40}$').optional(),
  })
  .strict();

/** A validated session's shape: `memberships` is always present. */
export type SessionUser = z.output<typeof sessionUserSchema>;
/** What callers may pass: `memberships` may be left out (no clinics). */
export type SessionInput = z.input<typeof sessionUserSchema>;
export type Membership = z.infer<typeof membershipSchema>;

declare const validated: unique symbol;
/**
 * A session that went through {@link parseSessionUser}: frozen, and known
 * valid at runtime (not just by its type), so every layer below the edge
 * (the API context, `createDb`, `loadSession`) takes it as it is instead of
 * parsing it again. Only `parseSessionUser` makes one.
 */
export type ValidSession = SessionUser & { readonly [validated]: true };

// Proof of validation by identity: a cast or a copy is not in here, and is parsed.
const validSessions = new WeakSet<object>();

/** Whether `value` is a session `parseSessionUser` returned (not merely one of the same shape). */
export function isValidSession(value: unknown): value is ValidSession {
  return typeof value === 'object' && value !== null && validSessions.has(value);
}

/** Thrown when a session payload does not describe a valid user. */
export class InvalidSessionError extends Error {
  override readonly name = 'InvalidSessionError';
  constructor(readonly issues: readonly string[]) {
    super(`Invalid session: ${issues.join('; ')}`);
  }
}

/**
 * Parses an untrusted session payload (a decoded token, a cookie, a test
 * fixture) once, at the edge. Anything that is not exactly
 * `{ id, role, memberships? }` with known roles is rejected: an invalid
 * session is never treated as some user. A `ValidSession` is returned as it
 * is, so calling this again below the edge costs nothing.
 *
 * @example
 * parseSessionUser({ id: 'u_1', role: 'ADMIN' }) // => { id: 'u_1', role: 'ADMIN', memberships: [] }
 * parseSessionUser({ id: 'u_1', role: 'ROOT' })  // throws InvalidSessionError
 */
export function parseSessionUser(payload: unknown): ValidSession {
  if (isValidSession(payload)) return payload;
  const result = sessionUserSchema.safeParse(payload);
  if (!result.success) {
    throw new InvalidSessionError(result.error.issues.map((i) => `${i.path.join('.') || 'session'}: ${i.message}`));
  }
  // Frozen all the way down: a validated session cannot be edited into an unvalidated one.
  for (const membership of result.data.memberships) Object.freeze(membership);
  Object.freeze(result.data.memberships);
  const session = Object.freeze(result.data);
  validSessions.add(session);
  return session as ValidSession;
}
