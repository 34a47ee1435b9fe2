import type { AnyPlugin } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';

type Args = Record<string, unknown> | undefined;
type Operation = (args?: unknown) => ZenStackPromiseLike;
type Operations = Record<string, Operation>;

/** What ZenStack's operations return: lazy until awaited, `cb(tx)` runs it in a sequential `$transaction([...])`. */
export interface ZenStackPromiseLike extends PromiseLike<unknown> {
  cb(txClient?: unknown): Promise<unknown>;
}

/**
 * Whether the plugins refuse `operation` before any handler would run (policy folding's own predicate): then
 * the call goes through the plugins without ZenStack's operation handler being built.
 */
export type RefusedUpFront = (
  schema: SchemaDef,
  model: string,
  operation: string,
  args: Args,
  auth: unknown,
) => boolean;

interface ZenStackClientLike {
  $schema: SchemaDef;
  $auth: unknown;
  $options: { plugins?: AnyPlugin[] };
}

/**
 * Reach-in: the client ZenStack hands the plugins' `onQuery` (the ClientImpl behind its proxy, which has no
 * model accessors). ZenStack 3.9 builds each client's query executor with that client (`new
 * ZenStackQueryExecutor(this, …)`); nothing public returns it.
 */
export function pluginClientOf(client: unknown): ZenStackClientLike {
  const executor = (client as { $qb: { getExecutor(): { client: ZenStackClientLike } } }).$qb.getExecutor();
  return executor.client;
}

/**
 * The model accessors of a bound session client (`db.clinic`), cheaper than ZenStack's own:
 *
 * - ZenStack 3.9's client proxy builds a new CRUD handler object on every model access
 *   (`createModelCrudHandler`); it holds nothing but the client, model, validator and result processor,
 *   all fixed per client, so one per client and model serves every access (reach-in: that it is stateless).
 * - Each call of an operation then builds its operation handler (a CRUD dialect with its Kysely expression
 *   builder, most of a refused write's cost) before any plugin runs. For a call `refused` says the plugins
 *   answer themselves (a write the session alone may not make), the call runs the client's `onQuery` chain
 *   as ZenStack's `createPromise` does (copy of behaviour, same order, same arguments) without that handler.
 *   Should the chain still reach its end (a layer let it through), the end is ZenStack's own operation.
 *
 * Only models the schema has, and names that are not `$…`, are served here; everything else is the client's.
 */
export function withModelDelegates<T extends object>(client: T, refused: RefusedUpFront): T {
  const inner = pluginClientOf(client);
  const models = new Map(Object.keys(inner.$schema.models).map((m) => [m.toLowerCase(), m]));
  const delegates = new Map<string, Operations | undefined>();
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (typeof prop !== 'string' || prop.startsWith('$')) return Reflect.get(target, prop, receiver);
      let delegate = delegates.get(prop);
      if (delegate === undefined && !delegates.has(prop)) {
        const model = models.get(prop.toLowerCase());
        if (model === undefined) return Reflect.get(target, prop, receiver);
        const ops = Reflect.get(target, prop, receiver) as Operations | undefined;
        delegate = ops && delegateOf(inner, model, ops, refused);
        delegates.set(prop, delegate);
      }
      return delegate;
    },
  });
}

function delegateOf(client: ZenStackClientLike, model: string, ops: Operations, refused: RefusedUpFront): Operations {
  const delegate: Operations = { ...ops };
  for (const operation of Object.keys(ops)) {
    const own = ops[operation] as Operation;
    delegate[operation] = (args?: unknown) =>
      refused(client.$schema, model, operation, args as Args, client.$auth)
        ? pluginsOnly(client, model, operation, args, own, refused)
        : own(args);
  }
  return Object.freeze(delegate);
}

/**
 * Copy of ZenStack 3.9's `createPromise` (createModelCrudHandler): each plugin's `onQuery` wraps the next,
 * the last plugin of the list outermost, each called with the client, model, operation and args, inside a
 * lazy promise. The end of the chain is ZenStack's own operation on the args it gets; asked again at run
 * time, a call no longer refused (its args changed after the call) is ZenStack's operation from the start.
 */
function pluginsOnly(
  client: ZenStackClientLike,
  model: string,
  operation: string,
  args: unknown,
  own: Operation,
  refused: RefusedUpFront,
): ZenStackPromiseLike {
  return new LazyPromise(new Chain(client, model, operation, args, own, refused));
}

// Classes with bound methods instead of closures per call: the refusal's cost is mostly allocation
// (and under tsx, every named closure also gets a `name` property defined).
class Chain {
  constructor(
    readonly client: ZenStackClientLike,
    readonly model: string,
    readonly operation: string,
    readonly args: unknown,
    readonly own: Operation,
    readonly refused: RefusedUpFront,
  ) {}

  run(txClient: unknown): Promise<unknown> {
    const { client, model, operation, args } = this;
    const end = new End(this.own, txClient);
    if (!this.refused(client.$schema, model, operation, args as Args, client.$auth)) return end.proceed(args);
    let proceed: (next: unknown) => Promise<unknown> = end.proceed.bind(end);
    for (const plugin of [...(client.$options.plugins ?? [])]) {
      if (!plugin.onQuery) continue;
      const link = new Link(plugin.onQuery, this, proceed);
      proceed = link.proceed.bind(link);
    }
    return proceed(args);
  }
}

type OnQuery = NonNullable<AnyPlugin['onQuery']>;

class Link {
  constructor(
    private readonly onQuery: OnQuery,
    private readonly chain: Chain,
    private readonly inner: (next: unknown) => Promise<unknown>,
  ) {}

  proceed(next: unknown): Promise<unknown> {
    const { client, model, operation } = this.chain;
    const arg = { client, model, operation, args: next, proceed: this.inner };
    return this.onQuery(arg as unknown as Parameters<OnQuery>[0]) as Promise<unknown>;
  }
}

/**
 * The end of the chain: ZenStack's own operation (in the caller's transaction, if any), which runs the plugins'
 * onQuery again before its handler (unlike ZenStack's end, the handler alone). Reached only if a layer outside
 * policy folding changed the args into a write folding no longer refuses: none of this project's does
 * (the contract test pins the behaviour, tests/zenstack-internals/model-delegates.test.ts).
 */
class End {
  constructor(
    private readonly own: Operation,
    private readonly txClient: unknown,
  ) {}

  async proceed(next: unknown): Promise<unknown> {
    const p = this.own(next);
    return this.txClient === undefined ? p : p.cb(this.txClient);
  }
}

/** Copy of ZenStack 3.9's `createZenStackPromise`: runs once, when first awaited (or by a transaction's `cb`). */
class LazyPromise implements ZenStackPromiseLike {
  private promise: Promise<unknown> | undefined;
  /** Called detached by ZenStack's sequential `$transaction([...])`. */
  readonly cb: (txClient?: unknown) => Promise<unknown>;
  readonly [Symbol.toStringTag] = 'ZenStackPromise';

  constructor(private readonly chain: Chain) {
    this.cb = this.start.bind(this);
  }

  private start(txClient?: unknown): Promise<unknown> {
    try {
      this.promise ??= this.chain.run(txClient);
      return this.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // biome-ignore lint/suspicious/noThenProperty: a lazy promise, as ZenStack's operations return
  then<A = unknown, B = never>(
    onFulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.start().then(onFulfilled, onRejected);
  }

  catch(onRejected: (reason: unknown) => unknown): Promise<unknown> {
    return this.start().catch(onRejected);
  }

  finally(onFinally: () => void): Promise<unknown> {
    return this.start().finally(onFinally);
  }
}
