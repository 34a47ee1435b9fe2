import type { AnyPlugin } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { decideOperation } from '../../rules/index.ts';
import { asHandlerError, executeCompiled, isTransactionClient } from '../../zenstack-internals/index.ts';
import { debugFallback } from '../switch.ts';
import { bindParameters, bindValues } from './bind.ts';
import { type Capture, type CapturedStatement, inTransactionScope, trustedRawNode, withCapture } from './capture.ts';
import type { CachedQuery, QueryCache } from './lru.ts';
import { ResultMapper, sameResult } from './result-mapper.ts';
import { probeValues, type Shape, shapeOf, withLeaves } from './shape.ts';

type Row = Record<string, unknown>;
const OPERATIONS = new Set(['findUnique', 'findFirst', 'findMany', 'count', 'exists']);

/**
 * A compiled-query cache for one-statement reads (issue 14). On a miss the
 * plain path runs (its result is what the caller gets) while the innermost
 * capture records the final SQL, its parameters and the raw rows; the same
 * shape is then compiled once more with probe values, never executed, to
 * prove which parameter carries which value (bind.ts). A hit sends that SQL
 * with the new values through the Kysely-level stack as a trusted raw
 * statement (RLS context, replica routing, statement spans and metrics stay)
 * and maps the rows as ZenStack would (result-mapper.ts): no argument
 * validation, tree building, policy transform or compile.
 *
 * The key is the shape (shape.ts) plus the session part: when the policy
 * stack passed the statement through with rules folded to `true`, no session
 * value is in the SQL and the entry is shared by every session whose
 * read decisions are the same; otherwise it is the session's own (role, id,
 * memberships). One plugin per unbound client (includeDeleted…): its scope
 * is part of the key. Installed just inside policy folding; never inside a
 * transaction.
 */
export class QueryCachePlugin implements AnyPlugin {
  readonly id = 'query-cache';
  readonly name = 'Compiled-query cache for reads';
  private mapper: ResultMapper | undefined;

  constructor(
    private readonly cache: QueryCache,
    private readonly scope: string,
  ) {}

  onQuery: NonNullable<AnyPlugin['onQuery']> = ({ model, operation, args, proceed, client }) => {
    if (!OPERATIONS.has(operation)) return proceed(args);
    if (isTransactionClient(client) || inTransactionScope()) return proceed(args);
    const schema = client.$schema;
    const shape = shapeOf(schema, args);
    if (!shape) return this.fallback(model, operation, 'an argument value it cannot key', args, proceed);
    const auth = client.$auth;
    const base = `${this.scope}\u0000${model}\u0000${operation}\u0000${shape.key}`;
    const shared = `${base}\u0000f${foldSignature(schema, auth)}`;
    const own = `${base}\u0000s${sessionIdentity(auth)}`;
    const entry = this.cache.get(shared) ?? this.cache.get(own);
    this.mapper ??= new ResultMapper(schema, client.$options);
    if (entry && 'uncacheable' in entry) {
      this.cache.counts.uncacheable++;
      return this.fallback(model, operation, entry.uncacheable, args, proceed);
    }
    if (entry) {
      this.cache.counts.hits++;
      return this.hit(entry, client, model, operation, args, shape);
    }
    this.cache.counts.misses++;
    return this.miss(schema, { shared, own }, model, operation, args, shape, proceed);
  };

  private fallback(
    model: string,
    operation: string,
    reason: string,
    args: unknown,
    proceed: (a: never) => Promise<unknown>,
  ): Promise<unknown> {
    debugFallback(model, operation, `query cache: ${reason}`);
    return proceed(args as never);
  }

  private async hit(
    entry: CachedQuery,
    client: unknown,
    model: string,
    operation: string,
    args: unknown,
    shape: Shape,
  ) {
    const parameters = bindValues(entry.params, shape.leaves);
    let rows: Row[];
    try {
      rows = (await executeCompiled<Row>(client, { sql: entry.sql, node: entry.node, parameters })).rows;
    } catch (err) {
      throw asHandlerError(operation, err, entry.sql, parameters);
    }
    return (this.mapper as ResultMapper).map(model, operation, rows, args);
  }

  private async miss(
    schema: SchemaDef,
    keys: { shared: string; own: string },
    model: string,
    operation: string,
    args: unknown,
    shape: Shape,
    proceed: (a: never) => Promise<unknown>,
  ) {
    const capture: Capture = { probe: false, statements: [], passedThrough: 0 };
    const result = await withCapture(capture, () => proceed(args as never));
    const learnt = await this.learn(capture, result, schema, model, operation, args, shape, proceed).catch(
      (err: unknown) => `learning failed (${(err as Error)?.name ?? 'error'})`,
    );
    const key = capture.passedThrough === 1 ? keys.shared : keys.own;
    if (typeof learnt === 'string') {
      debugFallback(model, operation, `query cache: ${learnt}`);
      this.cache.set(key, { uncacheable: learnt });
    } else {
      this.cache.set(key, learnt);
    }
    // The caller gets the plain path's own result; learning only decides what later calls do.
    return result;
  }

  /** The cache entry for this shape, or why there is none. */
  private async learn(
    capture: Capture,
    result: unknown,
    schema: SchemaDef,
    model: string,
    operation: string,
    args: unknown,
    shape: Shape,
    proceed: (a: never) => Promise<unknown>,
  ): Promise<CachedQuery | string> {
    if (!(this.mapper as ResultMapper).handles(model, args)) return 'a delegate model (not mapped)';
    if (capture.statements.length !== 1) return `${capture.statements.length} statements (only one is cached)`;
    const real = capture.statements[0] as CapturedStatement;
    if (!real.rows) return 'no rows captured';
    // The probe is built from the arguments: they must still be the ones the shape was taken of.
    if (shapeOf(schema, args)?.key !== shape.key) return 'the arguments changed during the call';
    const mapped = (this.mapper as ResultMapper).map(model, operation, real.rows, args);
    if (!sameResult(mapped, result)) return 'the mapped rows differ from the plain result';
    // Always probed, with or without leaves: a parameter that changes on its own (a clock) is caught too.
    const probes = probeValues(shape.leaves, real.parameters);
    const probe: Capture = { probe: true, statements: [], passedThrough: 0 };
    await withCapture(probe, () => proceed(withLeaves(schema, args, probes) as never)).catch(() => undefined);
    if (probe.statements.length !== 1) return `the probe sent ${probe.statements.length} statements`;
    const params = bindParameters(real, probe.statements[0] as CapturedStatement, shape.leaves, probes);
    if (typeof params === 'string') return params;
    return { sql: real.sql, node: trustedRawNode(real.sql), params };
  }
}

const signatures = new WeakMap<object, string>();
/**
 * Which models this session reads without a row-dependent rule: two sessions
 * alike here get the same pass-through from ConstantPolicyPlugin for any
 * statement, so they may share entries whose SQL carries no session value.
 */
function foldSignature(schema: SchemaDef, auth: unknown): string {
  if (!auth || typeof auth !== 'object') return 'anonymous';
  let sig = signatures.get(auth);
  if (sig === undefined) {
    sig = Object.keys(schema.models)
      .map((m) => (decideOperation(schema, m, 'read', auth) === true ? '1' : '0'))
      .join('');
    signatures.set(auth, sig);
  }
  return sig;
}

const identities = new WeakMap<object, string>();
/** The whole bound auth object (role, id, memberships, organization): what any rule may read. */
function sessionIdentity(auth: unknown): string {
  if (!auth || typeof auth !== 'object') return 'anonymous';
  let id = identities.get(auth);
  if (id === undefined) {
    id = JSON.stringify(auth);
    identities.set(auth, id);
  }
  return id;
}
