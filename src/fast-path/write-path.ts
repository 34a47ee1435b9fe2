import type { AnyPlugin, ClientContract } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { columnsOf } from '../audit/audit-entries.ts';
import { upsertFallbackIn } from '../audit/upsert-cte.ts';
import { withScope } from '../operation-scope.ts';
import { perModel } from '../per-model.ts';
import { decision, hasFieldRules, rulesFor, softDeletable } from '../rules/index.ts';
import { isTransactionClient } from '../zenstack-internals/index.ts';
import { debugFallback } from './switch.ts';
import { isPlainObject, upsertKey } from './upsert-key.ts';

type Client = ClientContract<SchemaDef>;
type Args = Record<string, unknown>;
/** A client over the same pool and session without the policy plugin (and its read-back); see runtime.ts. */
export type TwinOf = (client: Client) => Client | undefined;

/** Sends one mutation per call and opens no ORM transaction when the data holds no relation writes. */
const BULK = new Set(['createMany', 'updateMany', 'deleteMany']);
/** With the policy plugin, ZenStack wraps these in a transaction to read the row back. */
const SINGLE = new Set(['create', 'update', 'delete']);

/**
 * One statement per write, for writes the session's rules decide.
 *
 * `create`, `update` and `delete` of one row: ZenStack opens a transaction and
 * reads the row back because a policy plugin is installed (the read may be
 * refused). When the session may do the write and read every row of the
 * model whatever it holds (ADMIN on Clinic, say), that read-back can only
 * return what `RETURNING` already did; the operation then runs on the twin
 * client, which is the same stack without the policy plugin: ZenStack sends
 * just the INSERT/UPDATE/DELETE … RETURNING. With its audit row in the same
 * statement (audit-cte.ts) and no BEGIN/COMMIT (src/driver/connection.ts), that
 * is one round trip, as raw pg would do it.
 *
 * `createMany`/`updateMany`/`deleteMany` keep their client; the constant
 * policy plugin decides their statement, and the audit joins it the same way.
 *
 * Anything else — relation writes, relation filters or selections, a
 * soft-delete model, post-update or field rules, a rule that reads the row,
 * a `$transaction` — takes the plain path (`DEBUG=acme:fast-path` says why).
 */
export class WritePathPlugin implements AnyPlugin {
  readonly id = 'write-path';
  readonly name = 'One statement per decided write';

  constructor(private readonly twinOf: TwinOf) {}

  onQuery: NonNullable<AnyPlugin['onQuery']> = ({ model, operation, args, proceed, client }) => {
    const bulk = BULK.has(operation);
    const upsert = operation === 'upsert';
    if (!bulk && !upsert && !SINGLE.has(operation)) return proceed(args);
    if (isTransactionClient(client)) return proceed(args);
    const why = ineligible(client, model, operation, (args ?? {}) as Args);
    if (why) {
      debugFallback(model, operation, why);
      return proceed(args);
    }
    if (bulk) return withScope({ oneStatement: true }, () => proceed(args));
    const twin = this.twinOf(client);
    if (!twin) return proceed(args);
    // biome-ignore lint/suspicious/noExplicitAny: the model and operation are only known at runtime.
    const call = ((twin as any)[model] as Record<string, (a: unknown) => Promise<unknown>>)[operation];
    if (!call) return proceed(args);
    // ZenStack's promises are lazy: `then` has to be called inside the scope for the statements to see it.
    const run = () => call(args).then((result) => result);
    if (upsert) {
      // ZenStack's UPDATE and INSERT become one INSERT … ON CONFLICT with its audit row (audit/upsert-cte.ts).
      const conflict = upsertKey(client.$schema, model, (args ?? {}) as Args);
      if (!conflict) {
        // An UPDATE and maybe an INSERT in ZenStack's own transaction: no read-back, audit rows in each.
        debugFallback(model, operation, 'upsert key not provable: two statements');
        return withScope({ decided: true }, run);
      }
      return withScope({ oneStatement: true, decided: true, upsert: { conflict } }, run).catch((err: unknown) => {
        const fallback = upsertFallbackIn(err);
        if (!fallback) throw err;
        // Nothing was written: the plain path gives its own answer.
        debugFallback(model, operation, fallback.message);
        return proceed(args);
      });
    }
    return withScope({ oneStatement: true, decided: true }, run);
  };
}

/** Why the write must take the plain path, or undefined when the rules alone decide it. */
function ineligible(client: Client, model: string, operation: string, args: Args): string | undefined {
  const schema = client.$schema;
  const auth = client.$auth;
  if (!auth || typeof auth !== 'object') return 'no session';
  if (!schema.models[model]) return 'not a model';
  if (hasFieldRules(schema)) return 'field-level rules';
  // A soft delete is one UPDATE of the marker, judged by the delete rule (the policy plugin sees a DELETE,
  // so no post-update rule applies); other writes of a soft-delete model keep the plain path.
  if (softDeletable(schema, model) && operation !== 'delete') return 'soft-delete model';
  const ops = operation === 'upsert' ? ['create', 'update'] : [operation.replace(/Many$/, '')];
  for (const op of [...ops, 'read'] as ('create' | 'update' | 'delete' | 'read')[]) {
    if (decision(schema, model, op, auth) !== true) return `${op} depends on the row`;
  }
  if (ops.includes('update') && rulesFor(schema, model, 'post-update').length > 0) return 'post-update rules';
  const data = operation === 'upsert' ? [args.create, args.update] : args.data;
  for (const row of Array.isArray(data) ? data : data === undefined ? [] : [data]) {
    if (!isPlainObject(row) || !Object.keys(row).every((k) => scalarFields(schema, model).has(k))) {
      return 'relation writes in data';
    }
  }
  if (args.where !== undefined && !scalarFilter(schema, model, args.where)) return 'relation filter';
  if (args.include !== undefined) return 'include';
  if (args.select !== undefined) {
    if (!isPlainObject(args.select) || !Object.keys(args.select).every((k) => scalarFields(schema, model).has(k))) {
      return 'relation in select';
    }
  }
  return undefined;
}

/** A filter on the model's own columns only (a relation filter reads other tables, whose rules were not asked). */
function scalarFilter(schema: SchemaDef, model: string, where: unknown): boolean {
  if (!isPlainObject(where)) return false;
  for (const [key, value] of Object.entries(where)) {
    if (key === 'AND' || key === 'OR' || key === 'NOT') {
      const parts = Array.isArray(value) ? value : [value];
      if (!parts.every((p) => scalarFilter(schema, model, p))) return false;
    } else if (!scalarFields(schema, model).has(key) && !compoundUniques(schema, model).has(key)) return false;
  }
  return true;
}

/** The model's stored columns as a set (audit-entries.ts keeps the list). */
const scalarFields = perModel((schema, model) => new Set(columnsOf(schema, model)));

/** `userId_clinicId`: the key of a compound unique filter (its parts are columns of the model). */
const compoundUniques = perModel(
  (schema, model) =>
    new Set(
      Object.entries(schema.models[model]?.uniqueFields ?? {})
        .filter(([, def]) => !('type' in (def as object)))
        .map(([name]) => name),
    ),
);
