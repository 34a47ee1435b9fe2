/**
 * The plugin stack is data (src/plugin-stack.ts): this pins each client's
 * layers, outermost first. A change of order is a reviewed change here.
 */
import { describe, expect, it } from 'vitest';
import { layerIds, type StackFlags } from '../src/plugin-stack.ts';

const flags = (f: Partial<StackFlags>): StackFlags => ({
  kind: 'session',
  rls: true,
  fast: true,
  cached: true,
  audit: true,
  ...f,
});

describe('plugin stack', () => {
  it('session client, every fast path on, under row-level security', () => {
    expect(layerIds(flags({}))).toEqual([
      'observability-operations',
      'policy-explain',
      'paged-find-many',
      'policy-folding',
      'query-cache',
      'nested-write-parent',
      'write-path',
      'policy',
      'soft-delete-write-scope',
      'soft-delete',
      'audit',
      'rls-context',
      'lateral-fence',
      'query-cache-capture',
    ]);
  });

  it('session client on the plain path (fastPaths: false) without row-level security', () => {
    expect(layerIds(flags({ fast: false, cached: false, rls: false }))).toEqual([
      'observability-operations',
      'policy-explain',
      'policy-folding',
      'nested-write-parent',
      'policy',
      'soft-delete-write-scope',
      'soft-delete',
      'audit',
    ]);
  });

  it('system client: no rules, no session context', () => {
    expect(layerIds(flags({ kind: 'system' }))).toEqual([
      'observability-operations',
      'soft-delete-write-scope',
      'soft-delete',
      'audit',
    ]);
  });

  it('twin client (decided writes): the statement layers of the session stack, without the policy step', () => {
    expect(layerIds(flags({ kind: 'twin', cached: false }))).toEqual([
      'soft-delete-write-scope',
      'soft-delete',
      'audit',
      'rls-context',
    ]);
  });

  it('replica routing wraps everything; a schema without the audit model has no audit layer', () => {
    const route = { id: 'replica-route', name: 'routing' };
    expect(layerIds(flags({ kind: 'system' }), { route })[0]).toBe('replica-route');
    expect(layerIds(flags({ audit: false }))).not.toContain('audit');
  });
});
