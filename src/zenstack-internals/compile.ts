import type { AnyPlugin, ClientContract } from '@zenstackhq/orm';
import { ORMError, ORMErrorReason } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { type CompiledQuery, createQueryId, type QueryResult, type RootOperationNode } from 'kysely';

type Client = ClientContract<SchemaDef>;
type OnKyselyClient = Parameters<NonNullable<AnyPlugin['onKyselyQuery']>>[0]['client'];

interface ZenStackExecutor {
  processQueryNode(node: RootOperationNode): RootOperationNode;
  compileQuery(node: RootOperationNode, id: ReturnType<typeof createQueryId>): { sql: string; parameters: unknown[] };
}

/**
 * Reach-in: the SQL and parameters ZenStack's executor will hand the driver
 * for `node` (its name mapping and aliases, then the compile), from inside
 * an onKyselyQuery hook. ZenStack 3.9 has no public "compile this node as you
 * would" (upstream: a `compile` on the plugin args would replace it).
 */
export function compileAsZenStack(client: OnKyselyClient, node: RootOperationNode): CompiledStatement {
  const executor = (client.$qb as unknown as { getExecutor(): ZenStackExecutor }).getExecutor();
  const compiled = executor.compileQuery(executor.processQueryNode(node), createQueryId());
  return { sql: compiled.sql, parameters: compiled.parameters };
}

export interface CompiledStatement {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * Reach-in: runs already-compiled SQL through the client's executor, with its
 * onKyselyQuery plugins (session context, routing, capture) and the driver.
 * `$raw: true` makes ZenStack send `parameters` as they are instead of
 * re-deriving them from the node, which for a RawNode carries none.
 */
export function executeCompiled<R>(
  client: unknown,
  statement: CompiledStatement & { node: RootOperationNode },
): Promise<QueryResult<R>> {
  const qb = (client as { $qb: { executeQuery(q: CompiledQuery & { $raw: true }): Promise<QueryResult<R>> } }).$qb;
  return qb.executeQuery({
    sql: statement.sql,
    query: statement.node,
    parameters: statement.parameters,
    queryId: createQueryId(),
    $raw: true,
  });
}

/** Reach-in: a client bound to a transaction (`$transaction`'s `tx`); not on ZenStack's public client type. */
export const isTransactionClient = (client: unknown): boolean =>
  (client as { isTransaction?: boolean }).isTransaction === true;

/** Operations whose ZenStack handler wraps a driver error once more (BaseOperationHandler.read / existsNonUnique). */
const WRAPS_ERRORS = new Set(['findUnique', 'findFirst', 'findMany', 'exists']);

/**
 * Copy of behaviour: the error ZenStack's read handlers throw for a failed
 * statement (the executor's error wrapped once more), so a statement sent
 * past the handler fails exactly as the handler would have.
 */
export function asHandlerError(operation: string, err: unknown, sql: string, parameters: unknown[]): unknown {
  if (!WRAPS_ERRORS.has(operation)) return err;
  const error = new ORMError(ORMErrorReason.DB_QUERY_ERROR, `Failed to execute query: ${err}`, { cause: err });
  error.dbErrorCode = err instanceof Error && 'code' in err ? (err as { code?: unknown }).code : undefined;
  error.dbErrorMessage = err instanceof Error ? err.message : undefined;
  error.sql = sql;
  error.sqlParams = parameters;
  return error;
}

export type { Client };
