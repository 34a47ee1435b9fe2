import { PolicyBypassError } from './errors/index.ts';
import { type OperationScope, withScope } from './operation-scope.ts';

/**
 * ZenStack clients carry escape hatches that step around the access rules:
 * `$qbRaw` (unfiltered Kysely, outside the transaction), `$unuse*` (drop the
 * policy plugin), `$setAuth` (act as someone else), raw SQL, and lifecycle
 * methods that would close the shared pool from a request. A client handed
 * out for a session has none of them; touching one throws.
 */
const BLOCKED = [
  '$qbRaw',
  '$queryRaw',
  '$queryRawUnsafe',
  '$executeRaw',
  '$executeRawUnsafe',
  '$use',
  '$unuse',
  '$unuseAll',
  '$setAuth',
  '$setOptions',
  '$setInputValidation',
  '$pushSchema',
  '$connect',
  '$disconnect',
] as const;
export type BlockedMember = (typeof BLOCKED)[number];
const BLOCKED_SET: ReadonlySet<string> = new Set(BLOCKED);

type AnyTransaction = (fn: unknown, options?: unknown) => Promise<unknown>;

/** The scope a client's `$transaction` runs in (organization mode: its organization, whose pool BEGIN takes). */
const scopes = new WeakMap<object, OperationScope>();

const handler: ProxyHandler<Record<string | symbol, unknown>> = {
  get(target, prop) {
    if (typeof prop === 'string' && BLOCKED_SET.has(prop)) throw new PolicyBypassError(prop);
    if (prop === '$transaction') {
      const tx = target.$transaction as AnyTransaction;
      // Interactive transactions hand out a client too; it gets the same guard.
      // In a transaction scope the query cache stands aside: its statements would run outside the transaction.
      const scope = scopes.get(target);
      const run = (fn: unknown, options?: unknown) =>
        withScope({ inTransaction: true }, () =>
          tx.call(target, typeof fn === 'function' ? (inner: object) => fn(guardClient(inner)) : fn, options),
        );
      return scope ? (fn: unknown, options?: unknown) => withScope(scope, () => run(fn, options)) : run;
    }
    return Reflect.get(target, prop);
  },
  has: (target, prop) => !(typeof prop === 'string' && BLOCKED_SET.has(prop)) && Reflect.has(target, prop),
};

/** The client without its escape hatches; `scope`: what its `$transaction` runs in. */
export function guardClient<T extends object>(client: T, scope?: OperationScope): Omit<T, BlockedMember> {
  if (scope) scopes.set(client, scope);
  return new Proxy(client as Record<string | symbol, unknown>, handler) as unknown as Omit<T, BlockedMember>;
}
