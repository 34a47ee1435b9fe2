import type { AnyPlugin, ClientContract, OnKyselyQueryArgs } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import {
  DeleteQueryNode,
  InsertQueryNode,
  type QueryResult,
  ReturningNode,
  SelectionNode,
  UpdateQueryNode,
} from 'kysely';
import { policyRejection } from '../errors/index.ts';
import { currentScope, withScope } from '../operation-scope.ts';
import { asMutationResult, auditedStatement } from './audit-cte.ts';
import { AUDIT_MODEL, type AuditEntry, auditEntries, columnsOf, type Row } from './audit-entries.ts';
import { mutationTarget } from './mutation-target.ts';
import { splitBefore, updateWithBefore } from './update-with-before.ts';
import { auditedUpsert } from './upsert-cte.ts';

/** The actor recorded when a client has no auth (no policy allows that to write, so it is a bug). */
const NO_ACTOR = { id: 'anonymous', role: 'ANONYMOUS' } as const;

/**
 * Writes one `AuditLog` row per record that a create, update or delete
 * touched, through the same connection and transaction as the mutation.
 *
 * It is installed innermost (before the policy and soft-delete plugins in the
 * plugin list), so it sees each statement as it will run: after the policy
 * filters (a denied row is never touched, so never audited) and after a
 * soft delete became an `UPDATE ... SET "deletedAt"`. Its own statements go
 * to `proceed`, which leads to the database and not back through the policy
 * plugin: audit rows need no create rule, so no client can forge one.
 *
 * ZenStack opens a transaction around every mutation statement when plugins
 * are installed, so the audit insert commits or rolls back with it: a failed
 * audit insert fails the mutation, and a mutation rolled back later (a denied
 * read-back, a post-update rule, an error in `$transaction`) leaves no row.
 *
 * A write the fast paths decided (src/fast-path/write-path.ts) carries its
 * audit rows in the same statement instead (audit-cte.ts): one round trip,
 * and no BEGIN/COMMIT around it (the driver's `whole` statement, src/driver/connection.ts).
 */
export class AuditPlugin implements AnyPlugin {
  readonly id = 'audit';
  readonly name = 'Audit log';

  async onKyselyQuery({ query, client, proceed }: OnKyselyQueryArgs<SchemaDef>): Promise<QueryResult<Row>> {
    const target = mutationTarget(client.$schema, query);
    if (!target) return proceed(query);
    if (target.model === AUDIT_MODEL) {
      throw policyRejection(AUDIT_MODEL, 'AuditLog is append-only and written by the audit plugin only');
    }

    const mutation = query as Mutation;
    const scope = currentScope();
    // A decided upsert: its UPDATE and INSERT become one INSERT … ON CONFLICT with its audit row.
    if (scope.upsert) return auditedUpsert(client, target, mutation, actorOf(client), scope.upsert, proceed);
    if (scope.decided) {
      // The fast paths decided this write and nothing else runs in its transaction: one statement.
      const one = auditedStatement(client, target, mutation, actorOf(client));
      // Its transaction holds just this statement only inside a one-statement write (not an upsert's).
      const run = () => proceed(one?.node as RootNode);
      if (one) return asMutationResult(one.shape, await (scope.oneStatement ? withScope({ whole: true }, run) : run()));
    }
    let result: QueryResult<Row>;
    let before: Row[] | undefined;
    if (UpdateQueryNode.is(mutation)) {
      // One statement: the UPDATE also returns each row as it was.
      result = await proceed(updateWithBefore(client, target, mutation, columnsOf(client.$schema, target.model)));
      before = splitBefore(result);
    } else {
      result = await proceed(withFullReturning(mutation));
    }
    const entries = auditEntries(client.$schema, target.model, actionOf(mutation), before, result.rows);
    if (entries.length > 0) await proceed(insertAuditRows(client, entries));
    return result;
  }
}

type Mutation = InsertQueryNode | UpdateQueryNode | DeleteQueryNode;
type RootNode = Parameters<OnKyselyQueryArgs<SchemaDef>['proceed']>[0];

function actionOf(query: Mutation): 'create' | 'update' | 'delete' {
  if (InsertQueryNode.is(query)) return 'create';
  if (DeleteQueryNode.is(query)) return 'delete';
  return 'update';
}

/** The mutation with `RETURNING *` added, so that we see every column of every touched row. */
function withFullReturning<T extends Mutation>(query: T): T {
  const all = SelectionNode.createSelectAll();
  return {
    ...query,
    returning: query.returning
      ? ReturningNode.cloneWithSelections(query.returning, [all])
      : ReturningNode.create([all]),
  };
}

function actorOf(client: ClientContract<SchemaDef>): { id: string; role: string } {
  const actor = (client.$auth as { id?: string; role?: string } | undefined) ?? NO_ACTOR;
  return { id: actor.id ?? NO_ACTOR.id, role: actor.role ?? NO_ACTOR.role };
}

function insertAuditRows(client: ClientContract<SchemaDef>, entries: AuditEntry[]): RootNode {
  const actor = actorOf(client);
  const values = entries.map((entry) => ({
    actorId: actor.id,
    actorRole: actor.role,
    model: entry.model,
    action: entry.action,
    recordId: entry.recordId,
    before: entry.before === null ? null : toJson(entry.before),
    after: entry.after === null ? null : toJson(entry.after),
  }));
  // biome-ignore lint/suspicious/noExplicitAny: AuditLog columns are known; the builder is only used to make the node.
  return (client.$qb as any).insertInto(AUDIT_MODEL).values(values).toOperationNode();
}

/** JSON text for a jsonb column. BigInt has no JSON form; it is written as a string. */
function toJson(value: Row): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}
