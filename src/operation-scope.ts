import { AsyncLocalStorage } from 'node:async_hooks';
import type { UpsertState } from './audit/upsert-cte.ts';
import type { Capture } from './fast-path/query-cache/capture.ts';
import type { Route } from './replicas/route-plugin.ts';

/**
 * Everything that travels from the ORM's plugins down to the driver with one
 * operation or statement, in one AsyncLocalStorage. ZenStack calls plugins
 * and the driver in one async chain but hands the driver only the compiled
 * statement; what the driver must know beyond it (whose session, which
 * route, whether the statement is the whole transaction) rides here.
 *
 * A field is set by exactly one layer (named beside it) and read by the
 * layers below; nested scopes inherit what they do not set.
 */
export interface OperationScope {
  /** The ORM operation (observability's operation plugin): labels for statement spans and metrics. */
  readonly model?: string;
  readonly operation?: string;
  /** The session as the JSON PostgreSQL's policies read; '' anonymous (the statement-scope layer, with RLS). */
  readonly auth?: string;
  /** Whose writes the statement's reads must see (the statement-scope layer, with replicas). */
  readonly route?: Route;
  /**
   * How the fast paths decided the current write (src/fast-path/write-path.ts):
   * `one-statement`: the operation sends one mutation and opens no transaction of its own;
   * `decided`: the session's rules decided the mutation, no policy step surrounds it (the audit
   * rows may join its statement).
   */
  readonly oneStatement?: true;
  readonly decided?: true;
  /** A decided upsert in progress (write-path.ts sets it, the audit layer's upsert-cte.ts fills it in). */
  readonly upsert?: UpsertState;
  /** This statement is all its transaction will hold: the driver sends it without BEGIN/COMMIT (audit). */
  readonly whole?: true;
  /** Ids of the rows this operation updated (soft delete: its own writes stay visible to it). */
  readonly written?: Set<string>;
  /** The query cache watches this operation's statements (fast-path/query-cache/capture.ts). */
  readonly capture?: Capture;
  /**
   * Organization mode: the organization whose pool the statement's connection comes from (the org-scope
   * layer and the guard's `$transaction`, src/orgs/org-scope.ts). Undefined there: no connection is taken.
   */
  readonly org?: { readonly by: 'id' | 'slug'; readonly value: string };
  /** Inside `$transaction` (either form): cached statements would leave it. */
  readonly inTransaction?: true;
}

const storage = new AsyncLocalStorage<OperationScope>();
const EMPTY: OperationScope = Object.freeze({});

export function currentScope(): OperationScope {
  return storage.getStore() ?? EMPTY;
}

/** Runs `fn` with `patch` over the current scope. */
export function withScope<T>(patch: OperationScope, fn: () => T): T {
  const current = storage.getStore();
  return storage.run(current ? { ...current, ...patch } : patch, fn);
}
