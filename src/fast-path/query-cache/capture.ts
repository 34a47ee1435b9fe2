import type { AnyPlugin } from '@zenstackhq/orm';
import { type OperationNode, type QueryResult, RawNode } from 'kysely';
import { currentScope, withScope } from '../../operation-scope.ts';
import { compileAsZenStack } from '../../zenstack-internals/index.ts';

/** One statement as the driver gets it, and (for a real run) the rows it returned, before ZenStack touched them. */
export interface CapturedStatement {
  sql: string;
  parameters: readonly unknown[];
  rows?: Record<string, unknown>[];
}

/**
 * What one ORM operation sent while the query cache watched it. `probe`: compile only,
 * nothing is executed (the statement answers no rows). `passedThrough` counts the
 * statements ConstantPolicyPlugin let through unchanged (rules folded to `true`).
 */
export interface Capture {
  probe: boolean;
  statements: CapturedStatement[];
  passedThrough: number;
}

/** Runs `fn` (one ORM operation) with its statements captured into `capture`. */
export const withCapture = <T>(capture: Capture, fn: () => T): T => withScope({ capture }, fn);

/** ConstantPolicyPlugin's hook: this statement was passed through, no session value went into its SQL. */
export function notePassThrough(): void {
  const capture = currentScope().capture;
  if (capture) capture.passedThrough++;
}

/**
 * The cache's own raw statements: SQL the policy-enforcing stack built and
 * compiled for this shape earlier. Known by identity, never by content, so no
 * RawNode from elsewhere can pass ConstantPolicyPlugin's check.
 */
const trusted = new WeakSet<OperationNode>();

export function trustedRawNode(sql: string): RawNode {
  const node = RawNode.createWithSql(sql);
  trusted.add(node);
  return node;
}

export const isTrustedStatement = (node: OperationNode): boolean => trusted.has(node);

/** A transaction (either form of `$transaction`) runs here: cached statements would leave it. */
export const inTransactionScope = (): boolean => currentScope().inTransaction === true;

/**
 * Innermost onKyselyQuery (first in the plugin list): sees each statement
 * after every other plugin rewrote it and compiles it the way ZenStack's
 * executor does next (name mapping, aliases, compile), so the captured text
 * and parameters are exactly what the driver gets. Idle outside a capture.
 */
export class QueryCapturePlugin implements AnyPlugin {
  readonly id = 'query-cache-capture';
  readonly name = 'Query cache: statement capture';

  onKyselyQuery: NonNullable<AnyPlugin['onKyselyQuery']> = async ({ client, query, proceed }) => {
    const capture = currentScope().capture;
    if (!capture) return proceed(query);
    const statement: CapturedStatement = compileAsZenStack(client, query);
    capture.statements.push(statement);
    if (capture.probe) return { rows: [] } as QueryResult<Record<string, unknown>>;
    const result = await proceed(query);
    // ZenStack's result processing rewrites rows in place: keep them as the database sent them.
    statement.rows = result.rows.map((row) => cloneJson(row) as Record<string, unknown>);
    return result;
  };
}

function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = cloneJson((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
