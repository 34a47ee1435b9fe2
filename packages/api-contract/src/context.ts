import type { IncomingMessage } from 'node:http';
import { bearerToken, parseSessionUser, type SessionInput, verifySessionToken } from '@acme/auth';
import { createDb, loadSession } from '@acme/db';
import { toTRPCError } from './errors.ts';
import type { Context } from './trpc.ts';

/**
 * Context for a known session (server-side calls, tests, jobs acting as a
 * user). Clinic-scoped procedures need its memberships: use `loadSession`.
 * A `ValidSession` (from `loadSession` or `parseSessionUser`) is taken as it
 * is; anything else is parsed here, once, and the result passed down.
 */
export function createContext(session: SessionInput | null): Context {
  const user = session === null ? null : parseSessionUser(session);
  return { session: user, db: createDb(user), dbIncludingDeleted: createDb(user, { includeDeleted: true }) };
}

/**
 * Context for an HTTP request: the identity comes only from a bearer token
 * signed with `secret`, the memberships from the database (`loadSession`), so
 * a removed membership stops working on the next request. No header means
 * anonymous; a bad token is an error (UNAUTHORIZED), never a silent downgrade
 * to anonymous.
 */
export async function createHttpContext(req: IncomingMessage, secret: string): Promise<Context> {
  const header = req.headers.authorization;
  if (!header) return createContext(null);
  try {
    return createContext(await loadSession(await verifySessionToken(bearerToken(header), secret)));
  } catch (err) {
    // Thrown as-is, the adapter would report a 500.
    throw toTRPCError(err);
  }
}
