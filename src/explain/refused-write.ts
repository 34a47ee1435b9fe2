import { type ClientContract, ORMError, ORMErrorReason } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { policyRejection } from '../errors/index.ts';
import { foldOperation } from '../rules/index.ts';

/** The single-row writes whose refusal ZenStack reports as not-found (`*Many` answer `{ count: 0 }` instead). */
export const SINGLE_ROW: Record<string, 'update' | 'delete' | undefined> = { update: 'update', delete: 'delete' };

/**
 * Turns the not-found of a refused `update`/`delete` into the refusal it is,
 * when the session may read the row. ZenStack filters the write by the
 * update (or delete) rule, so a row the session can see but not change comes
 * back "not found", which reads as if it were gone. When the same filter
 * finds the row through the session's own client (its read rules, soft
 * delete, row-level security), the answer is rejected-by-policy naming the
 * rule the write needed, as a refused create says; a row the session cannot
 * read stays not-found, so existence never leaks. When the session may not
 * update (delete) any row of the model at all, the refusal is the same for
 * every id and reads nothing. Runs only after a not-found: a write that
 * succeeds costs no extra statement. Returns the
 * rejection (for the caller to explain), or undefined to keep `err`.
 */
export async function refusalBehindNotFound(
  err: unknown,
  client: ClientContract<SchemaDef>,
  model: string,
  operation: string,
  args: unknown,
): Promise<ORMError | undefined> {
  const action = SINGLE_ROW[operation];
  if (!action || !(err instanceof ORMError) || err.reason !== ORMErrorReason.NOT_FOUND) return undefined;
  // A nested write's own not-found (a `connect` to a missing row) is about another model: left as it is.
  if (err.model !== undefined && err.model !== model) return undefined;
  // Refused whatever the row (the session alone decides it, e.g. a USER renaming any clinic): the answer is
  // the same for every id, existing or not, so it reveals nothing and needs no read.
  if (foldOperation(client.$schema, model, action, client.$auth) === false) {
    return policyRejection(model, `No access to ${action} ${model}`, err);
  }
  const where = (args as { where?: unknown } | undefined)?.where;
  if (!where || typeof where !== 'object') return undefined;
  // The plugin's `client` has no model accessors (ZenStack hands plugins the client behind its proxy);
  // `$setAuth` with the same auth gives the session's client back, inside the same transaction if any.
  const session = client.$setAuth(client.$auth as never) as unknown as Record<string, Delegate | undefined>;
  const delegate = session[lowerFirst(model)];
  if (!delegate) return undefined;
  // A failed check (a dropped connection) keeps the not-found: never a refusal the rules did not give.
  const readable = await delegate.findFirst({ where, select: idSelect(client.$schema, model) }).catch(() => null);
  if (!readable) return undefined;
  return policyRejection(model, `No access to ${action} ${model}`, err);
}

type Delegate = { findFirst(args: unknown): Promise<unknown> };

const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** Selects the id fields only: the check asks whether a row is there, never what it holds. */
function idSelect(schema: SchemaDef, model: string): Record<string, true> {
  const ids = schema.models[model]?.idFields ?? [];
  return Object.fromEntries(ids.map((f) => [f, true]));
}
