import type { AnyPlugin } from '@zenstackhq/orm';
import type { SchemaDef } from '@zenstackhq/orm/schema';
import { PolicyPlugin } from '@zenstackhq/plugin-policy';
import { AUDIT_MODEL } from './audit/audit-entries.ts';
import { AuditPlugin } from './audit/audit-plugin.ts';
import { PolicyExplainPlugin } from './explain/rejection.ts';
import {
  ConstantPolicyPlugin,
  LateralFencePlugin,
  PagedFindManyPlugin,
  type TwinOf,
  WritePathPlugin,
} from './fast-path/index.ts';
import { type QueryCache, QueryCachePlugin, QueryCapturePlugin } from './fast-path/query-cache/index.ts';
import { NestedWriteParentPlugin } from './nested-write-parent.ts';
import { OperationObservabilityPlugin } from './observability/observability-plugin.ts';
import { PolicyFoldingPlugin } from './policy-folding.ts';
import { RlsContextPlugin } from './rls/session-context.ts';
import { softDeletePlugin, softDeleteWriteScope } from './soft-delete.ts';
import { asZenStackPlugins } from './zenstack-internals/index.ts';

/**
 * Which client a stack is for: `session` (createDb: the rules apply),
 * `system` (createSystemDb: no rules), `twin` (a session's decided writes,
 * src/fast-path/write-path.ts: its statement layers without the policy step).
 */
export interface StackFlags {
  kind: 'session' | 'system' | 'twin';
  /** The app role runs under row-level security: statements carry the session (src/rls). */
  rls: boolean;
  fast: boolean;
  cached: boolean;
  /** The schema has the audit model (this project's AuditLog): other schemas run without the audit layer. */
  audit: boolean;
}

/** What the layers are made of, per stack. */
export interface StackParts {
  includeDeleted: boolean;
  cache: QueryCache;
  /** The cache's scope key (one entry space per unbound client). */
  cacheScope: string;
  twinOf?: TwinOf;
  /** Read-replica routing, when DATABASE_REPLICA_URLS names any (src/replicas). */
  route?: AnyPlugin;
  /** Organization mode: the client's organization into the operation scope (src/orgs/org-scope.ts). */
  org?: AnyPlugin;
}

interface Layer {
  id: string;
  when(f: StackFlags, p: Pick<StackParts, 'route' | 'org'>): boolean;
  make(p: StackParts, f: StackFlags): AnyPlugin;
}

const session = (f: StackFlags) => f.kind === 'session';
const enforced = (f: StackFlags) => f.kind !== 'system';

/**
 * Every layer of every client, outermost first: an operation meets them in
 * this order on its way to the driver (ZenStack runs the last plugin of its
 * list first: src/zenstack-internals/plugin-order.ts).
 *
 * - the organization (organization mode: which pool) and routing and operation observability wrap everything;
 * - policy explain sees every rejection on its way out; paging splits a page
 *   before the rules run, so each page statement is judged; folding decides
 *   whole operations from the session before any SQL is built; a cache hit
 *   skips ZenStack's handler but comes after folding and paging;
 * - the write path sits inside folding: only allowed writes reach it;
 * - the policy step judges each statement as the caller wrote it (a delete as
 *   a delete); soft delete then rewrites it, the audit records what finally
 *   runs, the session context goes with every statement (the audit's too);
 * - the include fence works on the final tree, policy filters included, and
 *   the cache's capture sees each statement exactly as the driver gets it.
 */
export const LAYERS: readonly Layer[] = [
  { id: 'org-scope', when: (_f, p) => p.org !== undefined, make: (p) => p.org as AnyPlugin },
  { id: 'replica-route', when: (_f, p) => p.route !== undefined, make: (p) => p.route as AnyPlugin },
  {
    id: 'observability-operations',
    when: (f) => f.kind !== 'twin',
    make: (_p, f) => new OperationObservabilityPlugin(f.kind === 'session'),
  },
  { id: 'policy-explain', when: session, make: () => new PolicyExplainPlugin() },
  { id: 'paged-find-many', when: (f) => session(f) && f.fast, make: () => new PagedFindManyPlugin() },
  { id: 'policy-folding', when: session, make: () => new PolicyFoldingPlugin() },
  { id: 'query-cache', when: (f) => session(f) && f.cached, make: (p) => new QueryCachePlugin(p.cache, p.cacheScope) },
  { id: 'nested-write-parent', when: session, make: () => new NestedWriteParentPlugin() },
  {
    id: 'write-path',
    when: (f) => session(f) && f.fast,
    make: (p) => new WritePathPlugin(p.twinOf as TwinOf),
  },
  {
    id: 'policy',
    when: session,
    make: (_p, f) => (f.fast ? new ConstantPolicyPlugin() : new PolicyPlugin()),
  },
  { id: 'soft-delete-write-scope', when: () => true, make: () => softDeleteWriteScope() },
  { id: 'soft-delete', when: () => true, make: (p) => softDeletePlugin({ includeDeleted: p.includeDeleted }) },
  { id: 'audit', when: (f) => f.audit, make: () => new AuditPlugin() },
  { id: 'rls-context', when: (f) => enforced(f) && f.rls, make: () => new RlsContextPlugin() },
  { id: 'lateral-fence', when: (f) => session(f) && f.fast, make: () => new LateralFencePlugin() },
  { id: 'query-cache-capture', when: (f) => session(f) && f.cached, make: () => new QueryCapturePlugin() },
];

const selected = (flags: StackFlags, parts: Pick<StackParts, 'route' | 'org'>) =>
  LAYERS.filter((l) => l.when(flags, parts));

/** The ids of a stack's layers, outermost first (what tests pin). */
export function layerIds(flags: StackFlags, parts: Pick<StackParts, 'route' | 'org'> = {}): string[] {
  return selected(flags, parts).map((l) => l.id);
}

/** The stack as ZenStack's plugin list (innermost first). */
export function pluginsFor(flags: StackFlags, parts: StackParts): AnyPlugin[] {
  return asZenStackPlugins(selected(flags, parts).map((l) => l.make(parts, flags)));
}

/** Whether a schema has the model the audit layer writes. */
export const hasAuditModel = (schema: SchemaDef): boolean => AUDIT_MODEL in schema.models;
