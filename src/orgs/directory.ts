import type { ClientContract } from '@zenstackhq/orm';
import type { schema } from '../../zenstack/central/schema.ts';
import { OrgNotFoundError } from './errors.ts';

export type CentralClient = ClientContract<typeof schema>;

/** What routing needs to know about an organization (one row of the central database). */
export interface OrgRecord {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended' | 'archived';
  dbServer: string | null;
  dbName: string;
}

/** How old a list may be and still answer "no such organization" without being read again. */
const MISS_RECHECK_MS = 1_000;

/** How a caller names an organization: the session's orgId, or a slug. */
export interface OrgLookup {
  by: 'id' | 'slug';
  value: string;
}

/**
 * Every organization of the central database, in memory: createDb routes
 * with two map lookups and no round trip. The list is read again at most
 * every `ttlMs` (in the background for the synchronous path, awaited by
 * loadSession), so a suspension reaches running processes within that time.
 * If the central database is unreachable, the last list keeps serving.
 * Ids and slugs are kept apart: a slug may look like some other org's id.
 */
export class OrgDirectory {
  private byId = new Map<string, OrgRecord>();
  private bySlug = new Map<string, OrgRecord>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  /** Flipped by a timer rather than read from the clock on every createDb (the hot path). */
  private stale = true;
  private staleTimer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly central: CentralClient,
    private readonly ttlMs: number,
  ) {}

  private find(lookup: OrgLookup): OrgRecord | undefined {
    return (lookup.by === 'id' ? this.byId : this.bySlug).get(lookup.value);
  }

  /**
   * Synchronous: the record, `null` when a list read in the last second says
   * there is none, `undefined` when the list is stale, not loaded yet, or its
   * "none" is older than that (ask `resolve`, which reads it again for a miss,
   * as for an organization another process created a moment ago).
   */
  peek(lookup: OrgLookup): OrgRecord | null | undefined {
    const stale = this.stale;
    if (stale) this.refresh().catch(() => {});
    const record = this.find(lookup);
    if (record) return record;
    if (stale) return undefined;
    return Date.now() - this.loadedAt > MISS_RECHECK_MS ? undefined : null;
  }

  /** The record, reading the list again first if it is stale; OrgNotFoundError when there is none. */
  async resolve(lookup: OrgLookup): Promise<OrgRecord> {
    const age = Date.now() - this.loadedAt;
    // A miss re-reads the list (an organization created a moment ago by another
    // process), but at most once a second: unknown names cost no query each.
    if (age > this.ttlMs || (!this.find(lookup) && age > MISS_RECHECK_MS)) await this.refresh();
    const record = this.find(lookup);
    if (!record) throw new OrgNotFoundError(lookup.value);
    return record;
  }

  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Forget the list: the next access reads it again (after a change made in this process). */
  invalidate(): void {
    this.loadedAt = Number.NEGATIVE_INFINITY;
    this.stale = true;
  }

  get size(): number {
    return this.byId.size;
  }

  private async load(): Promise<void> {
    const startedAt = Date.now();
    const rows = await this.central.organization.findMany({
      select: { id: true, slug: true, name: true, status: true, dbServer: true, dbName: true },
    });
    const byId = new Map<string, OrgRecord>();
    const bySlug = new Map<string, OrgRecord>();
    for (const row of rows) {
      byId.set(row.id, row);
      bySlug.set(row.slug, row);
    }
    this.byId = byId;
    this.bySlug = bySlug;
    this.loadedAt = startedAt;
    this.stale = false;
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => {
      this.stale = true;
    }, this.ttlMs);
    this.staleTimer.unref();
  }
}
