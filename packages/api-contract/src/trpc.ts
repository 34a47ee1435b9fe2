import type { ValidSession } from '@acme/auth';
import type { EnhancedClient } from '@acme/db';
import { initTRPC, TRPCError } from '@trpc/server';
import { formatError } from './error-format.ts';
import { toTRPCError } from './errors.ts';

export interface Context {
  session: ValidSession | null;
  /** `createDb(session)`: every query is filtered by the access rules. */
  db: EnhancedClient;
  /** `createDb(session, { includeDeleted: true })`: soft-deleted rows visible (to ADMIN, by rule). */
  dbIncludingDeleted: EnhancedClient;
}

// Stack traces stay on the server: error responses carry code, message and, for invalid input, field errors.
const t = initTRPC.context<Context>().create({ isDev: false, errorFormatter: formatError });

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Data-layer errors become tRPC errors here, for every procedure. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  // tRPC wraps anything that is not a TRPCError as INTERNAL_SERVER_ERROR with
  // the original as `cause`; deliberate errors (input validation, ours) pass.
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR' && result.error.cause) {
    throw toTRPCError(result.error.cause);
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

/** Requires a session; the policies still decide what it may do. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  return next({ ctx: { ...ctx, session: ctx.session } });
});
