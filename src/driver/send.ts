import { createHash } from 'node:crypto';
import type { CompiledQuery, QueryResult } from 'kysely';
import pg from 'pg';
import { AUTH_SETTING } from '../rls/names.ts';

/** The statement that sets the session context: transaction-local, or for the session (session-cache.ts). */
export const setAuthSql = (json: string, local = true) =>
  `SELECT set_config('${AUTH_SETTING}', ${pg.escapeLiteral(json)}, ${local})`;

/** SQLSTATE classes 08 (connection) and 57P (shutdown) and socket errors: the connection is gone. */
const BROKEN = /^(08|57P|EPIPE$|ECONNRESET$)/;

/**
 * In pipeline mode a FATAL error (terminated backend, server shutdown)
 * reaches the statement before the socket closes; such a connection must
 * leave the pool broken, or the next lease hits a dead socket (EPIPE).
 */
export function isBroken(err: unknown): boolean {
  const { severity, code } = (err ?? {}) as { severity?: unknown; code?: unknown };
  return severity === 'FATAL' || BROKEN.test(String(code ?? ''));
}

/** Distinct statements prepared per connection; later ones run unnamed (the server keeps every prepared plan). */
const PER_CONNECTION = 256;
/** Statement text -> name, bounded: hashing a long ZenStack statement on every call would cost more than it saves. */
const NAMES = new Map<string, string>();
const NAMES_MAX = 10_000;
const preparedOn = new WeakMap<pg.ClientBase, Set<string>>();

function nameOf(text: string): string {
  let name = NAMES.get(text);
  if (name === undefined) {
    name = `acme_${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    if (NAMES.size >= NAMES_MAX) NAMES.delete(NAMES.keys().next().value as string);
    NAMES.set(text, name);
  }
  return name;
}

/**
 * Sends one compiled statement. With `prepared`, a parameterised statement
 * goes as a named one: PostgreSQL parses and plans it once per connection
 * (ACME_DB_PREPARED_STATEMENTS=1; a pooler in transaction mode before
 * PgBouncer 1.21 would hand the name to another server connection).
 */
export function send(client: pg.ClientBase, query: CompiledQuery, prepared: boolean): Promise<pg.QueryResult> {
  const values = query.parameters as unknown[];
  if (prepared && values.length > 0) {
    let names = preparedOn.get(client);
    if (!names) {
      names = new Set();
      preparedOn.set(client, names);
    }
    const name = nameOf(query.sql);
    if (names.has(name) || names.size < PER_CONNECTION) {
      names.add(name);
      return client.query({ name, text: query.sql, values });
    }
  }
  return client.query(query.sql, values);
}

/** A pg result as Kysely's QueryResult. */
export function toQueryResult<R>(result: pg.QueryResult): QueryResult<R> {
  const { command, rowCount, rows } = result;
  const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { rows: (rows ?? []) as R[], ...(counted ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}) };
}

/** The last result of a multi-statement simple query (`BEGIN; …; SELECT …`). */
export const lastOf = (result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult | undefined =>
  Array.isArray(result) ? result[result.length - 1] : result;
