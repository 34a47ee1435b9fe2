import { type AnyPlugin, ORMError, ORMErrorReason } from '@zenstackhq/orm';
import { policyRejection, sqlStateInfo } from '../errors/index.ts';
import { withScope } from '../operation-scope.ts';

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
 * Runs every statement of a session client with the session as the JSON
 * PostgreSQL's policies read (`current_setting('acme.auth')`; '' anonymous),
 * which the driver sends with it (src/driver/connection.ts). Installed
 * innermost, so the statements the audit and policy plugins add carry it too.
 */
export class RlsContextPlugin implements AnyPlugin {
  readonly id = 'rls-context';
  readonly name = 'Session context for row-level security';

  onKyselyQuery: NonNullable<AnyPlugin['onKyselyQuery']> = ({ client, query, proceed }) =>
    withScope({ auth: authJson(client.$auth) }, () => proceed(query)).catch((err: unknown) => {
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
