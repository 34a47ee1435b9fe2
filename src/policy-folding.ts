import { type AnyPlugin, QueryUtils } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { policyRejection, refusedAsNotFound } from './errors/index.ts';
import { foldOperation, type PolicyOperation } from './rules/index.ts';

/**
 * Answers a write the rules forbid for this session without a database round
 * trip. The policy plugin folds only literal `true`/`false` rules; a rule like
 * `auth().role == 'ADMIN'` is sent to PostgreSQL as `$1 = $2` inside a
 * transaction (BEGIN, SELECT ... FOR UPDATE, UPDATE, ROLLBACK: ~1.2 ms) to
 * learn what the session alone already decides. Here such auth-only parts are
 * evaluated in JavaScript; when every `@@allow` for the operation is false, or
 * a `@@deny` is true, the outcome is the one ZenStack would reach:
 *
 * | operation                      | outcome                               |
 * | create, createMany[AndReturn]  | ORMError rejected-by-policy (no-access) |
 * | update, delete                 | ORMError not-found                    |
 * | updateMany, deleteMany         | `{ count: 0 }`                        |
 * | updateManyAndReturn            | `[]`                                  |
 *
 * (A not-found of a row the session can read becomes rejected-by-policy on its
 * way out, in the explain plugin: src/explain/refused-write.ts.)
 *
 * Anything that depends on a row (fields, relations, memberships matched
 * against `this`) is unknown and goes to the database as before. Only the
 * top-level operation is folded, and not an update that also writes through
 * relations; nested writes are the policy plugin's. Input validation, which
 * ZenStack runs first, is skipped for a folded write: it is refused anyway.
 */
export class PolicyFoldingPlugin implements AnyPlugin {
  readonly id = 'policy-folding';
  readonly name = 'Fold auth-only write rules';

  onQuery: NonNullable<AnyPlugin['onQuery']> = async ({ model, operation, args, proceed, client }) => {
    if (!foldsToRefusal(client.$schema, model, operation, args, client.$auth)) return proceed(args);
    return deniedOutcome(model, operation);
  };
}

/**
 * Whether this plugin answers the operation itself (the session alone refuses it): also asked by the bound
 * client's model accessor (src/zenstack-internals/model-delegates.ts), so such a call skips building ZenStack's
 * handler. One predicate, so the two can never disagree.
 */
export function foldsToRefusal(
  schema: SchemaDef,
  model: string,
  operation: string,
  args: Record<string, unknown> | undefined,
  auth: unknown,
): boolean {
  const action = ACTIONS[operation];
  if (!action || (action === 'update' && writesRelations(schema, model, args))) return false;
  return deniedForSession(schema, model, action, auth);
}

const ACTIONS: Record<string, 'create' | 'update' | 'delete' | undefined> = {
  create: 'create',
  createMany: 'create',
  createManyAndReturn: 'create',
  update: 'update',
  updateMany: 'update',
  updateManyAndReturn: 'update',
  delete: 'delete',
  deleteMany: 'delete',
};

/**
 * An update that writes through relations is judged by the nested writes'
 * rules first (ZenStack may not update the parent row at all), so it is not
 * folded.
 */
function writesRelations(schema: SchemaDef, model: string, args: Record<string, unknown> | undefined): boolean {
  const data = args?.data;
  if (!data || typeof data !== 'object') return false;
  const fields = QueryUtils.requireModel(schema, model).fields;
  return Object.keys(data).some((key) => fields[key]?.relation !== undefined);
}

function deniedOutcome(model: string, operation: string): unknown {
  if (operation === 'updateMany' || operation === 'deleteMany') return { count: 0 };
  if (operation === 'updateManyAndReturn') return [];
  if (ACTIONS[operation] === 'create') throw policyRejection(model, `No access to create ${model}`);
  throw refusedAsNotFound(model);
}

/** True when the rules deny `action` on `model` whatever the row, judging by `auth` alone (src/rules' fold). */
export function deniedForSession(
  schema: SchemaDef,
  model: string,
  action: Exclude<PolicyOperation, 'post-update'>,
  auth: unknown,
): boolean {
  // A frozen auth object (what createDb binds: parseSessionUser's session, frozen all the way down) never
  // changes, so its fold is worked out once per model and action: a refused write asks three times (the
  // bound client's accessor when called, again when run, this plugin), and a bound client many times.
  if (auth === null || typeof auth !== 'object') return foldOperation(schema, model, action, auth) === false;
  let bySession = folded.get(schema);
  if (!bySession) {
    bySession = new WeakMap();
    folded.set(schema, bySession);
  }
  let byKey = bySession.get(auth);
  if (byKey === undefined) {
    byKey = frozenAll(auth) ? new Map() : null;
    bySession.set(auth, byKey);
  }
  if (byKey === null) return foldOperation(schema, model, action, auth) === false;
  const key = `${model}\u0000${action}`;
  let denied = byKey.get(key);
  if (denied === undefined) {
    denied = foldOperation(schema, model, action, auth) === false;
    byKey.set(key, denied);
  }
  return denied;
}

/** Per schema and auth object: its folds, or null for an auth that could still change (not frozen throughout). */
const folded = new WeakMap<SchemaDef, WeakMap<object, Map<string, boolean> | null>>();

/** Frozen, and so is every object or array it holds (once frozen, always frozen: checked once per auth). */
function frozenAll(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every((v) => v === null || typeof v !== 'object' || frozenAll(v));
}
