import { ORMError, sqlStateInfo } from '@acme/db';
import { TRPCError } from '@trpc/server';

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** `file:line:col` of the frame that threw: where to look, without the message (which may hold values). */
function thrownAt(err: Error): string | undefined {
  const frame = err.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  return frame?.match(/\(?([^\s()]+:\d+:\d+)\)?$/)?.[1];
}

function describeOne(e: unknown): string {
  if (e instanceof TRPCError) return `TRPCError ${e.code}`;
  if (e instanceof ORMError) {
    const info = sqlStateInfo(e.dbErrorCode);
    const state = e.dbErrorCode ? ` SQLSTATE ${e.dbErrorCode}${info ? ` (${info.condition}, ${info.kind})` : ''}` : '';
    return `ORMError ${e.reason}${e.model ? ` on ${e.model}` : ''}${state}`;
  }
  if (e instanceof Error) {
    // pg's DatabaseError: schema names only; `detail` and `where` can hold row values and stay out.
    const { code, table, column, constraint } = e as {
      code?: unknown;
      table?: unknown;
      column?: unknown;
      constraint?: unknown;
    };
    const parts = [e.name];
    if (typeof code === 'string') parts.push(SQLSTATE.test(code) ? `SQLSTATE ${code}` : code);
    for (const [k, v] of Object.entries({ table, column, constraint }))
      if (typeof v === 'string') parts.push(`${k}=${v}`);
    const at = thrownAt(e);
    if (at) parts.push(`at ${at}`);
    return parts.join(' ');
  }
  return typeof e;
}

/**
 * The cause chain of a failed call as one log line: error classes, ORM
 * reasons, SQLSTATEs (with their condition names), schema names and where it
 * was thrown. Messages, SQL text and parameters are left out on purpose: they
 * can carry patient data or credentials.
 *
 * @example
 * describeCause(err) // 'TRPCError INTERNAL_SERVER_ERROR <- ORMError db-query-error on Clinic SQLSTATE 42703 <- error SQLSTATE 42703 at …/pg/lib/client.js:545:17'
 */
export function describeCause(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    parts.push(describeOne(e));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(' <- ');
}
