/**
 * Read-your-writes bookkeeping: per identity (a session's role and id, a
 * system client's reason), the WAL position its reads must have reached —
 * the commit of its latest write, or an LSN the app carried over from an
 * earlier request. LSNs only ever rise here: a higher bound is always safe
 * (at worst a read goes to the primary). Forgotten identities fold into a
 * floor that every identity's reads respect, so evicting one never lets its
 * reads go back in time.
 */
export class WriteLsns {
  private readonly byKey = new Map<string, bigint>();
  private floor = 0n;

  constructor(private readonly capacity = 10_000) {}

  /** The LSN `key`'s reads must have reached (0n: none). */
  get(key: string): bigint {
    return this.byKey.get(key) ?? this.floor;
  }

  /** For a write no client can be named for (it should not happen): every identity's reads wait for it. */
  raiseFloor(lsn: bigint): void {
    if (lsn > this.floor) this.floor = lsn;
    for (const [key, value] of this.byKey) if (value < lsn) this.byKey.set(key, lsn);
  }

  raise(key: string, lsn: bigint): void {
    const current = this.byKey.get(key);
    if (current !== undefined) {
      if (lsn > current) this.byKey.set(key, lsn);
      return;
    }
    if (this.byKey.size >= this.capacity) {
      const [oldestKey, oldest] = this.byKey.entries().next().value as [string, bigint];
      this.byKey.delete(oldestKey);
      if (oldest > this.floor) this.floor = oldest;
    }
    this.byKey.set(key, lsn > this.floor ? lsn : this.floor);
  }
}
