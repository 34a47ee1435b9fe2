import pg from 'pg';

/**
 * Prisma's WebAssembly schema engine talks to PostgreSQL through
 * `@prisma/adapter-pg`, which cannot map the catalog types `"char"` (oid 18)
 * and `name` (oid 19) and fails with "Column type 'name' could not be
 * deserialized" (prisma/orm#27403). Both are plain text on the wire, so we
 * report them as `text` (oid 25) before the adapter sees the result.
 *
 * This is a pg `Client` subclass, handed to the adapter through the pool
 * config rather than wrapped around one pool: the adapter spreads that config
 * into the extra pool it opens for the shadow database, so both get the fix.
 */
const CATALOG_TEXT_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

function remap<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as pg.QueryResult | undefined)?.fields ?? []) {
      if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

export class CatalogTypesAsTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; we forward them untouched.
  override query(...args: any[]): any {
    const cbIndex = args.findIndex((a) => typeof a === 'function');
    if (cbIndex >= 0) {
      const cb = args[cbIndex];
      args[cbIndex] = (err: Error | null, res: unknown) => cb(err, err ? res : remap(res));
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (super.query as any)(...args);
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const out = (super.query as any)(...args);
    return out && typeof out.then === 'function' ? out.then(remap) : out;
  }
}
