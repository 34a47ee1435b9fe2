import { errors, jwtVerify, SignJWT } from 'jose';
import { parseSessionUser, type SessionInput, type ValidSession } from './session.ts';

/** Why a bearer token was refused; every kind means "not authenticated". */
export type TokenProblem = 'missing' | 'malformed' | 'expired' | 'bad-signature' | 'invalid-claims';

export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  constructor(readonly problem: TokenProblem) {
    super(`Not authenticated: ${problem} token`);
  }
}

const ISSUER = 'acme-crm';
const MIN_SECRET_BYTES = 32;
/**
 * How far ahead of this server's clock a token's `iat` may be: the signer's
 * clock may run a little fast, but a token "issued" hours from now was made
 * with a wrong clock or a stolen key to outlive its `exp` check.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** A session secret too short to sign with (entry points check AUTH_SECRET with it before any work). */
export class SessionSecretError extends Error {
  override readonly name = 'SessionSecretError';
}

/** Throws SessionSecretError unless `secret` has at least 32 bytes; the message never shows it. */
export function checkSessionSecret(secret: string, name = 'The session secret'): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new SessionSecretError(`${name} must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length}).`);
  }
  return bytes;
}

const key = (secret: string): Uint8Array => checkSessionSecret(secret);

/**
 * Signs a session's identity (id and role) as an HS256 JWT. Memberships are
 * not put in the token: the server loads them per request (`loadSession` in
 * @acme/db), so removing a member takes effect on their next request.
 *
 * @example
 * const token = await signSessionToken({ id: 'u_1', role: 'USER' }, process.env.AUTH_SECRET!, '1h');
 */
export async function signSessionToken(session: SessionInput, secret: string, expiresIn: string | number = '1h') {
  const { id, role, orgSlug } = parseSessionUser(session);
  // Organization mode: the token names the organization (by slug) it acts in.
  return new SignJWT(orgSlug ? { role, org: orgSlug } : { role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(id)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key(secret));
}

/**
 * Verifies a bearer token and returns its identity (a session with no
 * memberships; pass it to `loadSession` for those). Only HS256 with our secret
 * is accepted (an unsigned `alg: none` token is refused), `exp` and `iat` are
 * required, an `iat` more than CLOCK_SKEW_SECONDS in the future is refused,
 * and the payload goes through the same parser as any untrusted session.
 */
export async function verifySessionToken(token: string | undefined | null, secret: string): Promise<ValidSession> {
  if (!token) throw new UnauthenticatedError('missing');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      requiredClaims: ['exp', 'sub', 'iat'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new UnauthenticatedError('expired');
    if (err instanceof errors.JWSSignatureVerificationFailed) throw new UnauthenticatedError('bad-signature');
    if (err instanceof errors.JWTClaimValidationFailed) throw new UnauthenticatedError('invalid-claims');
    throw new UnauthenticatedError('malformed');
  }
  if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
    throw new UnauthenticatedError('invalid-claims');
  }
  try {
    const org = payload.org === undefined ? {} : { orgSlug: payload.org };
    return parseSessionUser({ id: payload.sub, role: payload.role, ...org });
  } catch {
    throw new UnauthenticatedError('invalid-claims');
  }
}

/** `Authorization: Bearer <token>` -> token, or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
