/**
 * One switch for every fast path (issue 14): `ACME_DB_FAST_PATHS=0` in the
 * environment, or `createDb(session, { fastPaths: false })`, gives the plain
 * ZenStack path everywhere, BEGIN sent when Kysely asks for it included. The randomized differential policy suite runs
 * with it on and off and compares.
 */
export function fastPathsEnabled(option: boolean | undefined, env = process.env): boolean {
  if (option !== undefined) return option;
  const raw = env.ACME_DB_FAST_PATHS;
  return raw === undefined || raw === '' || raw === '1' || raw === 'true';
}

/**
 * Named (server-side prepared) statements, sent by the driver: PostgreSQL
 * parses and plans each distinct statement once per connection, which is
 * most of what row-level security costs a short read (its policies are
 * planned into every statement; bench/RESULTS.md, "RLS and load (h11)").
 * - unset (default): `direct`, named only on connections that are one
 *   backend for life (src/driver/session-cache.ts); behind a pooler in
 *   transaction mode (PgBouncer before 1.21 cannot keep names) unnamed;
 * - `1`: named on every connection (PgBouncer >= 1.21 with max_prepared_statements);
 * - `0`: never. Off whenever the fast paths are off.
 */
export function preparedStatementsEnabled(env = process.env): boolean | 'direct' {
  if (!fastPathsEnabled(undefined, env)) return false;
  const raw = env.ACME_DB_PREPARED_STATEMENTS;
  if (raw === '1') return true;
  if (raw === '0') return false;
  return 'direct';
}

const debugOn = (env = process.env) => /(^|,)\s*(acme:\*|acme:fast-path)\s*(,|$)/.test(env.DEBUG ?? '');

/**
 * `DEBUG=acme:fast-path`: why a query took the plain path. Only model and
 * operation names and the reason: never values (no patient data in logs).
 */
export function debugFallback(model: string | undefined, kind: string, reason: string): void {
  if (debugOn()) console.debug(`[acme:fast-path] plain path for ${kind}${model ? ` on ${model}` : ''}: ${reason}`);
}
