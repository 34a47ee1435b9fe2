import type pg from 'pg';
import { announcedBackendPid } from './pg-internals.ts';

/**
 * The session context cached per connection (issue 26, point 5): on a
 * connection that is one backend for its whole life, `acme.auth` is set at
 * session level (`set_config(…, false)`) together with the first statement
 * of a session, and later statements of the same session go alone: no
 * `BEGIN; set_config` / `COMMIT` around them.
 *
 * What a connection's backend holds, as far as the driver knows:
 * - absent: nothing was ever set at session level (a new connection);
 * - a string: exactly this context (set in a transaction that committed);
 * - UNKNOWN: a change was sent and its outcome is not known (an error): every
 *   later statement sets the context again, whatever its session.
 *
 * Every driver statement on a connection that holds a context sets its own
 * (a statement with none sets the anonymous '' context), so a session's
 * context never reaches another session's statement, on the fast or the
 * plain root client alike (they share the app role's pool, which nothing
 * but the driver uses). Behind PgBouncer (any pooler) the backend changes
 * between transactions, and a session-level setting would reach other
 * clients: there the context stays transaction-local
 * (`onOneBackend` false).
 */
export const UNKNOWN: unique symbol = Symbol('unknown session context');
export type Held = string | typeof UNKNOWN | undefined;

const held = new WeakMap<pg.ClientBase, string | typeof UNKNOWN>();
const direct = new WeakMap<pg.ClientBase, boolean | Promise<boolean>>();

export const heldContext = (client: pg.ClientBase): Held => held.get(client);
export const rememberContext = (client: pg.ClientBase, auth: string | typeof UNKNOWN) => held.set(client, auth);

/** `ACME_DB_RLS_CONTEXT=transaction` keeps every context transaction-local (the pre-issue-26 form). */
export function contextCacheEnabled(env = process.env): boolean {
  return env.ACME_DB_RLS_CONTEXT !== 'transaction';
}

/** What onOneBackend found for this client; false while not asked yet (any doubt is "no"). */
export const isOneBackend = (client: pg.ClientBase): boolean => direct.get(client) === true;

/**
 * Whether this client has one backend for its whole life: the pid the
 * server announced at startup is the pid its session runs in. Asked once
 * per connection (one round trip when it is new); any doubt is "no".
 */
export function onOneBackend(client: pg.ClientBase): boolean | Promise<boolean> {
  const known = direct.get(client);
  if (known !== undefined) return known;
  const announced = announcedBackendPid(client);
  if (announced === undefined) {
    direct.set(client, false);
    return false;
  }
  const asked = client.query('SELECT pg_backend_pid() AS pid').then(
    (r) => r.rows[0]?.pid === announced,
    () => false,
  );
  const settled = asked.then((yes) => {
    direct.set(client, yes);
    return yes;
  });
  direct.set(client, settled);
  return settled;
}
