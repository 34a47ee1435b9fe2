import pg from 'pg';

/**
 * The pg client Prisma's WebAssembly schema engine runs on (prisma.config.ts).
 * It papers over two gaps between prisma 6.19's engine and PostgreSQL:
 *
 * 1. `@prisma/adapter-pg` cannot map the catalog types `"char"` (oid 18) and
 *    `name` (oid 19) and fails with "Column type 'name' could not be
 *    deserialized" (prisma/orm#27403). Both are plain text on the wire, so we
 *    report them as `text` (oid 25) before the adapter sees the result.
 * 2. The adapter drops its shadow database while its own pool on it is still
 *    connected ("is being accessed by other users"); we add `WITH (FORCE)` and
 *    ignore the resulting connection errors on those idle clients,
 *    which would otherwise crash the CLI as an unhandled pool error.
 * 3. The engine's constraint introspection panics ("RuntimeError:
 *    unreachable") in `db pull`, drift checks and shadow diffs on rows it does
 *    not model: CHECK constraints (ours, in migrations/) and, on PostgreSQL
 *    18, NOT NULL stored as `pg_constraint` rows of type 'n'. Prisma has no
 *    datamodel for either (NOT NULL is read from `pg_attribute`), so we leave
 *    both out. Drift checks therefore do not cover CHECK constraints.
 *
 * It is a `Client` subclass handed over in the pool config rather than a
 * wrapper around one pool: the adapter spreads that config into the extra
 * pool it opens for the shadow database, so both pools get the fixes.
 */
const CATALOG_TEXT_OIDS = new Set([18, 19]);
const TEXT_OID = 25;
const CHECK_CONSTRAINT_FILTER = "contype NOT IN ('p', 'u', 'f')";

function remap<T>(result: T): T {
  for (const r of Array.isArray(result) ? result : [result]) {
    for (const field of (r as pg.QueryResult | undefined)?.fields ?? []) {
      if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

const SHADOW_DROP = /^DROP DATABASE "prisma_migrate_shadow_db_[0-9a-f-]+"$/;

function rewrite(query: unknown): unknown {
  if (typeof query === 'string' && SHADOW_DROP.test(query.trim())) return `${query.trim()} WITH (FORCE)`;
  if (typeof query === 'object' && query !== null && 'text' in query && typeof query.text === 'string') {
    if (query.text.includes(CHECK_CONSTRAINT_FILTER)) {
      return {
        ...query,
        text: query.text.replace(CHECK_CONSTRAINT_FILTER, "contype NOT IN ('p', 'u', 'f', 'n', 'c')"),
      };
    }
  }
  return query;
}

const SHADOW_PREFIX = 'prisma_migrate_shadow_db_';

export class SchemaEnginePgClient extends pg.Client {
  // pg reports failures of an *idle* client as 'error' events (a running
  // query rejects instead). Idle clients of a dropped shadow database are
  // expected to die, so those events are not errors.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.database?.startsWith(SHADOW_PREFIX)) return true;
    return super.emit(event, ...args);
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; we forward them untouched.
  override query(...args: any[]): any {
    args[0] = rewrite(args[0]);
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
