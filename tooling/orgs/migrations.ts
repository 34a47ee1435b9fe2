import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { withClient } from '../database.ts';
import type { SchemaTarget } from '../migrate/schema-targets.ts';
import { ROOT } from '../tool-env.ts';

/** The committed migration folders of a schema, oldest first. */
export function committedFor(target: SchemaTarget): string[] {
  const dir = path.join(ROOT, target.migrations);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}

export interface MigrationState {
  applied: string[];
  /** Committed but not applied. */
  pending: string[];
  /** Started and never finished nor rolled back: Prisma refuses to deploy until resolved. */
  failed: string[];
  /** The last applied migration: the schema version. */
  version: string | null;
}

/** Runs `fn` on one client that gives up connecting after 10 s (a server that is down must not hang a command). */
export const withQuickClient = <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> =>
  withClient(url, fn, { connectionTimeoutMillis: 10_000 });

/**
 * Reads Prisma's history table (one query, no Prisma process): what `db:org:list` and the deploy fast path need.
 * `committed`: the folders read once by a caller that visits many databases, instead of once per database.
 */
export async function migrationState(
  url: string,
  target: SchemaTarget,
  committed: readonly string[] = committedFor(target),
): Promise<MigrationState> {
  const rows = await withQuickClient(url, async (c) => {
    const { rows: exists } = await c.query<{ ok: boolean }>(
      `SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS ok`,
    );
    if (!exists[0]?.ok) return [];
    const res = await c.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
      `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM _prisma_migrations ORDER BY started_at`,
    );
    return res.rows;
  });
  const applied = rows.filter((r) => r.finished && !r.rolled_back).map((r) => r.migration_name);
  const failed = rows.filter((r) => !r.finished && !r.rolled_back).map((r) => r.migration_name);
  const done = new Set(applied);
  const pending = committed.filter((m) => !done.has(m));
  return { applied, pending, failed, version: applied.length ? (applied.sort().at(-1) ?? null) : null };
}
