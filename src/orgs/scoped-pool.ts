import type pg from 'pg';
import type { ConnectionSource } from '../driver/index.ts';
import type { OrgLookup } from './directory.ts';
import { scopedOrg } from './org-scope.ts';

export interface PoolCounts {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * What organization mode's one DbRuntime sees as a role's pool: each
 * `connect()` goes to the pool of the organization in the operation scope
 * (src/orgs/org-scope.ts), and refuses when the scope names none. The
 * organizations' pools belong to the router, which ends them; `end()` here
 * has nothing of its own to close.
 */
export class ScopedOrgPool implements ConnectionSource {
  /** What metrics call it (src/observability/metrics.ts): every organization's pools of this role, summed. */
  readonly serverLabel = 'organizations';

  constructor(
    private readonly poolOf: (org: OrgLookup) => ConnectionSource,
    private readonly counts: () => PoolCounts,
  ) {}

  connect(): Promise<pg.PoolClient> {
    try {
      return this.poolOf(scopedOrg()).connect();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async end(): Promise<void> {}

  get totalCount(): number {
    return this.counts().total;
  }
  get idleCount(): number {
    return this.counts().idle;
  }
  get waitingCount(): number {
    return this.counts().waiting;
  }
}
