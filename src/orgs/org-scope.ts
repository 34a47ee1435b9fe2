import type { AnyPlugin } from '@zenstackhq/orm';
import { currentScope, type OperationScope, withScope } from '../operation-scope.ts';
import type { OrgLookup } from './directory.ts';
import { OrgRoutingError } from './errors.ts';

/**
 * Organization mode runs every organization on one set of ZenStack clients
 * (one plugin stack, one schema, one bound-client cache: src/runtime.ts); only
 * the pools are per organization. Which pool a statement's connection comes
 * from is the organization of the client that runs it, carried in the
 * operation scope (`org`): a session's client names it in its auth object
 * (orgId, else orgSlug, as the router looked it up), the system client in the
 * auth object createSystemDb builds from `{ org }`.
 */
const lookups = new WeakMap<object, OrgLookup | null>();

/** The organization an auth object names (cached per bound, immutable auth object); undefined: none. */
export function orgOfAuth(auth: unknown): OrgLookup | undefined {
  if (!auth || typeof auth !== 'object') return undefined;
  let lookup = lookups.get(auth);
  if (lookup === undefined) {
    const { orgId, orgSlug } = auth as { orgId?: unknown; orgSlug?: unknown };
    lookup =
      typeof orgId === 'string'
        ? Object.freeze({ by: 'id', value: orgId } as const)
        : typeof orgSlug === 'string'
          ? Object.freeze({ by: 'slug', value: orgSlug } as const)
          : null;
    lookups.set(auth, lookup);
  }
  return lookup ?? undefined;
}

const scopes = new WeakMap<OrgLookup, OperationScope>();

/**
 * The scope patch for a client with this auth. Always sets `org`, even to
 * undefined: a client that names no organization never inherits another's
 * (its statements then fail at connect, OrgRoutingError).
 */
export function orgScopeOf(auth: unknown): OperationScope {
  const org = orgOfAuth(auth);
  if (!org) return NO_ORG;
  let scope = scopes.get(org);
  if (!scope) {
    scope = Object.freeze({ org });
    scopes.set(org, scope);
  }
  return scope;
}
const NO_ORG: OperationScope = Object.freeze({ org: undefined });

/**
 * The outermost layer of organization mode's stacks: the operation (its own
 * transaction's BEGIN included) and each statement it sends run with the
 * client's organization in scope. `$transaction` gets the same scope from the
 * guard (src/guard.ts), for the BEGIN Kysely sends before any operation.
 */
export class OrgScopePlugin implements AnyPlugin {
  readonly id = 'org-scope';
  readonly name = 'Organization of the client, for the pool';

  onQuery: NonNullable<AnyPlugin['onQuery']> = ({ client, args, proceed }) =>
    withScope(orgScopeOf(client.$auth), () => proceed(args));

  onKyselyQuery: NonNullable<AnyPlugin['onKyselyQuery']> = ({ client, query, proceed }) =>
    withScope(orgScopeOf(client.$auth), () => proceed(query));
}

/** The organization the current statement's connection must come from; refuses when there is none. */
export function scopedOrg(): OrgLookup {
  const { org } = currentScope();
  if (!org) {
    throw new OrgRoutingError(
      'Organization mode: a statement ran outside any organization client (no organization in the operation scope); nothing was sent.',
      undefined,
    );
  }
  return org;
}
