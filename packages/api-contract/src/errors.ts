import { InvalidSessionError, UnauthenticatedError } from '@acme/auth';
import { type DbErrorKind, ORMError, type ORMErrorReason, orgAccessErrorOf, sqlStateInfo } from '@acme/db';
import { type TRPC_ERROR_CODE_KEY, TRPCError } from '@trpc/server';

/**
 * The tRPC code for each ORMError reason. A `db-query-error` is refined by its
 * SQLSTATE's kind (the table in @acme/db's sqlstate.ts) through `BY_DB_KIND`;
 * one whose SQLSTATE has no kind stays INTERNAL_SERVER_ERROR.
 */
const BY_REASON: Record<ORMErrorReason, TRPC_ERROR_CODE_KEY> = {
  'rejected-by-policy': 'FORBIDDEN',
  'not-found': 'NOT_FOUND',
  'invalid-input': 'BAD_REQUEST',
  'db-query-error': 'INTERNAL_SERVER_ERROR',
  'config-error': 'INTERNAL_SERVER_ERROR',
  'not-supported': 'INTERNAL_SERVER_ERROR',
  'internal-error': 'INTERNAL_SERVER_ERROR',
};

const BY_DB_KIND: Record<DbErrorKind, TRPC_ERROR_CODE_KEY> = {
  conflict: 'CONFLICT',
  'invalid-value': 'BAD_REQUEST',
  forbidden: 'FORBIDDEN',
  // Retrying is the client's call, but the request failed on our side.
  transient: 'INTERNAL_SERVER_ERROR',
};

function fromOrmError(err: ORMError): { code: TRPC_ERROR_CODE_KEY; message: string } {
  const model = err.model ?? 'Record';
  if (err.reason === 'db-query-error') {
    const info = sqlStateInfo(err.dbErrorCode);
    const code = info ? BY_DB_KIND[info.kind] : 'INTERNAL_SERVER_ERROR';
    return { code, message: info && code !== 'INTERNAL_SERVER_ERROR' ? info.message(model) : 'Internal error' };
  }
  const code = BY_REASON[err.reason];
  if (code === 'FORBIDDEN') return { code, message: 'Not allowed by access policy' };
  if (code === 'NOT_FOUND') return { code, message: `${model} not found` };
  if (code === 'BAD_REQUEST') return { code, message: err.message };
  return { code, message: 'Internal error' };
}

/**
 * The one place a data-layer failure becomes a tRPC error (the README's
 * errors table). Anything not recognised stays an INTERNAL_SERVER_ERROR whose
 * message hides the details (SQL, parameters) from the client; the cause is
 * kept for the server's log (`describeCause`).
 */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof UnauthenticatedError || err instanceof InvalidSessionError) {
    return new TRPCError({ code: 'UNAUTHORIZED', message: err.message, cause: err });
  }
  // Organization mode: unknown org NOT_FOUND, suspended/archived/not a member FORBIDDEN; also when
  // found at the first query (then wrapped in an ORMError).
  const org = orgAccessErrorOf(err);
  if (org) return new TRPCError({ code: org.code, message: org.message, cause: err });
  if (err instanceof ORMError) return new TRPCError({ ...fromOrmError(err), cause: err });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error', cause: err });
}
