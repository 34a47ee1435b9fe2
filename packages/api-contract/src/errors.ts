import { InvalidSessionError, UnauthenticatedError } from '@acme/auth';
import { ORMError } from '@acme/db';
import { type TRPC_ERROR_CODE_KEY, TRPCError } from '@trpc/server';

/** PostgreSQL SQLSTATEs that are the caller's fault, and what they mean to an API client. */
const PG_CODES: Record<string, TRPC_ERROR_CODE_KEY> = {
  '23505': 'CONFLICT', // unique_violation
  '23503': 'CONFLICT', // foreign_key_violation: missing parent, or rows still reference it
  '23001': 'CONFLICT', // restrict_violation: ON DELETE RESTRICT with rows still referencing it
  '23514': 'BAD_REQUEST', // check_violation
  '22003': 'BAD_REQUEST', // numeric_value_out_of_range
  '22P02': 'BAD_REQUEST', // invalid_text_representation
  '22001': 'BAD_REQUEST', // string_data_right_truncation
  '42501': 'FORBIDDEN', // insufficient_privilege: e.g. the append-only audit log
};

/**
 * The one place a data-layer failure becomes a tRPC error. Anything not
 * recognised stays an INTERNAL_SERVER_ERROR whose message hides the details
 * (SQL, parameters) from the client; the cause is kept for server logs.
 *
 * | source                                 | tRPC code     |
 * |----------------------------------------|---------------|
 * | no / invalid session                   | UNAUTHORIZED  |
 * | ORMError rejected-by-policy            | FORBIDDEN     |
 * | ORMError not-found                     | NOT_FOUND     |
 * | ORMError invalid-input                 | BAD_REQUEST   |
 * | unique / foreign-key violation         | CONFLICT      |
 * | value out of range, bad format         | BAD_REQUEST   |
 * | insufficient privilege (42501)         | FORBIDDEN     |
 */
export function toTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) return err;
  if (err instanceof UnauthenticatedError || err instanceof InvalidSessionError) {
    return new TRPCError({ code: 'UNAUTHORIZED', message: err.message, cause: err });
  }
  if (err instanceof ORMError) {
    switch (err.reason) {
      case 'rejected-by-policy':
        return new TRPCError({ code: 'FORBIDDEN', message: 'Not allowed by access policy', cause: err });
      case 'not-found':
        return new TRPCError({ code: 'NOT_FOUND', message: `${err.model ?? 'Record'} not found`, cause: err });
      case 'invalid-input':
        return new TRPCError({ code: 'BAD_REQUEST', message: err.message, cause: err });
      case 'db-query-error': {
        const code = PG_CODES[String(err.dbErrorCode)];
        if (code) return new TRPCError({ code, message: describeDbError(String(err.dbErrorCode), err), cause: err });
      }
    }
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error', cause: err });
}

function describeDbError(code: string, err: ORMError): string {
  if (code === '23505') return `${err.model ?? 'Record'} already exists (unique constraint)`;
  if (code === '23503' || code === '23001')
    return `${err.model ?? 'Record'} references a missing row, or is still referenced`;
  if (code === '42501') return 'Not allowed';
  return 'Invalid value';
}
