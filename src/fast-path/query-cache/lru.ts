import type { RawNode } from 'kysely';
import type { Param } from './bind.ts';

/** A cached shape: the final SQL (as a trusted raw node) and how to fill its parameters. */
export interface CachedQuery {
  sql: string;
  node: RawNode;
  params: Param[];
}

/** A shape proved not cacheable (the reason goes to the debug log on each use). */
export interface Uncacheable {
  uncacheable: string;
}

export interface QueryCacheStats {
  /** Reads answered from the cache (the plain path's SQL, values bound, no ZenStack handler). */
  hits: number;
  /** Reads of a shape not in the cache: the plain path ran and the shape was learnt (or found uncacheable). */
  misses: number;
  /** Reads that took the plain path because their shape is known not to be cacheable. */
  uncacheable: number;
  size: number;
  max: number;
}

export const QUERY_CACHE_SIZE = 1_000;

/** A bounded LRU of shapes (Map insertion order is the eviction order), with its counters. */
export class QueryCache {
  private readonly entries = new Map<string, CachedQuery | Uncacheable>();
  readonly counts = { hits: 0, misses: 0, uncacheable: 0 };

  constructor(readonly max = QUERY_CACHE_SIZE) {}

  get(key: string): CachedQuery | Uncacheable | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: CachedQuery | Uncacheable): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
  }

  stats(): QueryCacheStats {
    return { ...this.counts, size: this.entries.size, max: this.max };
  }
}

/**
 * `ACME_DB_QUERY_CACHE=0` (or `createDb(s, { queryCache: false })`) turns the
 * cache off alone; it is on only where the fast paths are (fastPathsEnabled).
 */
export function queryCacheEnabled(option: boolean | undefined, env = process.env): boolean {
  if (option !== undefined) return option;
  const raw = env.ACME_DB_QUERY_CACHE;
  return raw === undefined || raw === '' || raw === '1' || raw === 'true';
}
