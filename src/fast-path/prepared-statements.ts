import { createHash } from 'node:crypto';
import type pg from 'pg';
import { fastPathsEnabled } from './switch.ts';

/**
 * Named (server-side prepared) statements: PostgreSQL parses and analyses
 * each distinct statement once per connection instead of on every call.
 * Opt-in with `ACME_DB_PREPARED_STATEMENTS=1`, because a pooler in
 * transaction mode (PgBouncer before 1.21) hands a session's next statement
 * to another server connection, where the name is unknown. Off whenever the
 * fast paths are off (`ACME_DB_FAST_PATHS=0`).
 */
export function preparedStatementsEnabled(env = process.env): boolean {
  return env.ACME_DB_PREPARED_STATEMENTS === '1' && fastPathsEnabled(undefined, env);
}

/** Distinct statements prepared per connection; later ones run unnamed (the server keeps every prepared plan). */
const PER_CONNECTION = 256;
/** Statement text -> name, bounded: hashing a long ZenStack query on every call would cost more than it saves. */
const NAMES = new Map<string, string>();
const NAMES_MAX = 10_000;

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
 * Sends parameterised statements of the pool's connections as named ones.
 * Only the `query(text, values)` form the ORM uses: transaction control and
 * multi-statement strings (no parameters) stay simple queries.
 */
export function usePreparedStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    const prepared = new Set<string>();
    // biome-ignore lint/suspicious/noExplicitAny: pg's query() has many overloads; only (text, values) is changed.
    (client as any).query = (...args: unknown[]) => {
      const [text, values, callback] = args;
      if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
        const name = nameOf(text);
        if (prepared.has(name) || prepared.size < PER_CONNECTION) {
          prepared.add(name);
          return original({ name, text, values });
        }
      }
      return original(...args);
    };
  });
}
