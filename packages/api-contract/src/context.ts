import type { IncomingMessage } from 'node:http';
import { bearerToken, type SessionUser, verifySessionToken } from '@acme/auth';
import { createDb } from '@acme/db';
import { toTRPCError } from './errors.ts';
import type { Context } from './trpc.ts';

/** Context for a known session (server-side calls, tests, jobs acting as a user). */
export function createContext(session: SessionUser | null): Context {
  return { session, db: createDb(session) };
}

/**
 * Context for an HTTP request: the session comes only from a bearer token
 * signed with `secret`. No header means anonymous; a bad token is an error
 * (UNAUTHORIZED), never a silent downgrade to anonymous.
 */
export async function createHttpContext(req: IncomingMessage, secret: string): Promise<Context> {
  const header = req.headers.authorization;
  if (!header) return createContext(null);
  try {
    return createContext(await verifySessionToken(bearerToken(header), secret));
  } catch (err) {
    // Thrown as-is, the adapter would report a 500.
    throw toTRPCError(err);
  }
}
