import { AsyncLocalStorage } from 'node:async_hooks';
import { type AnyPlugin, ORMError, ORMErrorReason } from '@zenstackhq/orm';
import { policyRejection, sqlStateInfo } from '../errors/index.ts';

/**
 * The session a statement runs for, as the JSON PostgreSQL's policies read
 * (`current_setting('acme.auth')`); '' is anonymous. Set around each
 * statement by {@link RlsContextPlugin}, read by the pg client
 * (context-client.ts) when it sends the statement.
 */
export const sessionContext = new AsyncLocalStorage<string>();

const jsonByAuth = new WeakMap<object, string>();

/** The auth object as policy JSON: only what the rules read. Cached per (immutable) bound auth. */
export function authJson(auth: unknown): string {
  if (!auth || typeof auth !== 'object') return '';
  let json = jsonByAuth.get(auth);
  if (json === undefined) {
    const { id, role, memberships } = auth as { id?: unknown; role?: unknown; memberships?: unknown };
    json = JSON.stringify({ id, role, memberships: memberships ?? [] });
    jsonByAuth.set(auth, json);
  }
  return json;
}

/**
 * Runs every statement of a session client inside the session's context.
 * Installed innermost (first in the plugin list), so the statements the
 * audit and policy plugins add carry the context too.
 */
export class RlsContextPlugin implements AnyPlugin {
  readonly id = 'rls-context';
  readonly name = 'Session context for row-level security';

  onKyselyQuery: NonNullable<AnyPlugin['onKyselyQuery']> = ({ client, query, proceed }) =>
    sessionContext
      .run(authJson(client.$auth), () => proceed(query))
      .catch((err: unknown) => {
        throw asPolicyRejection(err);
      });
}

/**
 * When PostgreSQL's policies refuse a row before ZenStack's own check does
 * (a post-update rule is checked by the database inside the UPDATE), the
 * caller gets the same error kind as from the ORM: rejected-by-policy.
 */
function asPolicyRejection(err: unknown): unknown {
  if (
    !(err instanceof ORMError) ||
    err.reason !== ORMErrorReason.DB_QUERY_ERROR ||
    sqlStateInfo(err.dbErrorCode)?.kind !== 'forbidden' ||
    !/row-level security/.test(err.dbErrorMessage ?? err.message)
  ) {
    return err;
  }
  return policyRejection(err.model, 'Refused by row-level security', err);
}
