import type { AnyPlugin } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { currentScope } from '../../operation-scope.ts';
import { decideOperation } from '../../rules/index.ts';
import {
  asHandlerError,
  executeCompiled,
  isTransactionClient,
  ResultMapper,
  sameResult,
} from '../../zenstack-internals/index.ts';
import { debugFallback } from '../switch.ts';
import { bindParameters, bindValues } from './bind.ts';
import { type Capture, type CapturedStatement, inTransactionScope, trustedRawNode, withCapture } from './capture.ts';
import type { CachedQuery, QueryCache } from './lru.ts';
import { sessionTemplate } from './session-template.ts';
import { probeValues, type Shape, shapeOf, withLeaves } from './shape.ts';

type Row = Record<string, unknown>;
const OPERATIONS = new Set(['findUnique', 'findFirst', 'findMany', 'count', 'exists']);
const LEARN_BUDGET = 32;
const LEARNS_TRACKED = 10_000;

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
 * read decisions are the same; otherwise it is keyed by the session's
 * template (session-template.ts: role, membership count and roles, with the
 * values that only meet a column abstracted) and those values are bound as
 * parameters, proved by the probe running as a synthetic session. A shape
 * learnt LEARN_BUDGET times without a hit in between is not probed again. One plugin per unbound client (includeDeleted…): its scope
 * is part of the key. Installed just inside policy folding; never inside a
 * transaction.
 */
export class QueryCachePlugin implements AnyPlugin {
  readonly id = 'query-cache';
  readonly name = 'Compiled-query cache for reads';
  private mapper: ResultMapper | undefined;
  /** Learns per shape (without its session part), bounded. */
  private readonly learns = new Map<string, number>();
  /** This client's layers inside the cache (the same stack `proceed` runs), unbound. */
  private inner: { $setAuth(a: unknown): Record<string, Record<string, (a: unknown) => Promise<unknown>>> } | undefined;

  constructor(
    private readonly cache: QueryCache,
    private readonly scope: string,
  ) {}

  onQuery: NonNullable<AnyPlugin['onQuery']> = ({ model, operation, args, proceed, client }) => {
    if (!OPERATIONS.has(operation)) return proceed(args);
    if (isTransactionClient(client) || inTransactionScope()) return proceed(args);
    // The probe of a session template (below) runs the inner layers on a synthetic session: not a read of its own.
    if (currentScope().capture) return proceed(args);
    const schema = client.$schema;
    const shape = shapeOf(schema, args);
    if (!shape) return this.fallback(model, operation, 'an argument value it cannot key', args, proceed);
    const auth = client.$auth;
    const base = `${this.scope}\u0000${model}\u0000${operation}\u0000${shape.key}`;
    const shared = `${base}\u0000f${foldSignature(schema, auth)}`;
    const template = sessionTemplate(schema, auth);
    const own = `${base}\u0000t${template.key}`;
    const entry = this.cache.get(shared) ?? this.cache.get(own);
    this.mapper ??= new ResultMapper(schema, client.$options);
    if (entry && 'uncacheable' in entry) {
      this.cache.counts.uncacheable++;
      return this.fallback(model, operation, entry.uncacheable, args, proceed);
    }
    if (entry) {
      this.cache.counts.hits++;
      if (this.learns.size > 0) this.learns.delete(base);
      return this.hit(entry, client, model, operation, args, [...shape.leaves, ...template.values]);
    }
    this.cache.counts.misses++;
    // A shape learnt again and again (its entries evicted before any hit) stops paying the probe.
    const learns = (this.learns.get(base) ?? 0) + 1;
    if (learns > LEARN_BUDGET) return proceed(args);
    if (this.learns.size >= LEARNS_TRACKED) this.learns.clear();
    this.learns.set(base, learns);
    return this.miss(schema, { shared, own }, model, operation, args, shape, proceed, client);
  };

  /** `operation` on `model` through the inner layers, as `auth` (the probe's synthetic session). */
  private probeClient(client: unknown, auth: unknown, model: string, operation: string) {
    if (!this.inner) {
      const c = client as { $options: { plugins?: unknown[] }; $setOptions(o: unknown): unknown };
      const plugins = c.$options.plugins ?? [];
      this.inner = c.$setOptions({ ...c.$options, plugins: plugins.slice(0, plugins.indexOf(this)) }) as never;
    }
    const bound = (this.inner as NonNullable<typeof this.inner>).$setAuth(auth);
    const delegate = bound[model.charAt(0).toLowerCase() + model.slice(1)] as Record<
      string,
      (a: unknown) => Promise<unknown>
    >;
    // Awaited here: ZenStack's promise runs on then(), which must happen inside the capture's scope.
    return async (a: unknown) => await (delegate[operation] as (a: unknown) => Promise<unknown>)(a);
  }

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
    values: unknown[],
  ) {
    const parameters = bindValues(entry.params, values);
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
    client: unknown,
  ) {
    const capture: Capture = { probe: false, statements: [], passedThrough: 0 };
    const result = await withCapture(capture, () => proceed(args as never));
    const learnt = await this.learn(capture, result, schema, model, operation, args, shape, proceed, client).catch(
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
    client: unknown,
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
    // Session values (session-template.ts) are probed with the leaves: a synthetic session of the same
    // template carries other values, so each parameter is proved to be a leaf, a session value or a constant.
    const template = sessionTemplate(schema, (client as { $auth: unknown }).$auth);
    const leaves = [...shape.leaves, ...template.values];
    const probes = probeValues(leaves, real.parameters);
    const probeArgs = withLeaves(schema, args, probes.slice(0, shape.leaves.length));
    const probe: Capture = { probe: true, statements: [], passedThrough: 0 };
    const run =
      template.values.length === 0
        ? () => proceed(probeArgs as never)
        : () =>
            this.probeClient(client, template.rebuild(probes.slice(shape.leaves.length)), model, operation)(probeArgs);
    await withCapture(probe, run).catch(() => undefined);
    if (probe.statements.length !== 1) return `the probe sent ${probe.statements.length} statements`;
    const params = bindParameters(real, probe.statements[0] as CapturedStatement, leaves, probes);
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
