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
 * parses and analyses each distinct statement once per connection. Opt-in
 * with `ACME_DB_PREPARED_STATEMENTS=1`, because a pooler in transaction mode
 * (PgBouncer before 1.21) hands a session's next statement to another server
 * connection, where the name is unknown. Off whenever the fast paths are off.
 */
export function preparedStatementsEnabled(env = process.env): boolean {
  return env.ACME_DB_PREPARED_STATEMENTS === '1' && fastPathsEnabled(undefined, env);
}

const debugOn = (env = process.env) => /(^|,)\s*(acme:\*|acme:fast-path)\s*(,|$)/.test(env.DEBUG ?? '');

/**
 * `DEBUG=acme:fast-path`: why a query took the plain path. Only model and
 * operation names and the reason: never values (no patient data in logs).
 */
export function debugFallback(model: string | undefined, kind: string, reason: string): void {
  if (debugOn()) console.debug(`[acme:fast-path] plain path for ${kind}${model ? ` on ${model}` : ''}: ${reason}`);
}
