import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { retryCatalogConflicts } from '../catalog-conflict.ts';
import { withClient } from '../database.ts';
import { blocking, formatFindings, HOW_TO_ACKNOWLEDGE, type LintMode, lintMigrations } from '../migration-lint/lint.ts';
import { applyRls } from '../rls/apply.ts';
import { MIGRATIONS_DIR, PRISMA_SCHEMA, runTool } from '../tool-env.ts';
import { committedMigrations, recordedMigrations } from './baseline.ts';
import { checkDrift } from './drift.ts';
import { MAIN_SCHEMA, type SchemaTarget, schemaEnv } from './schema-targets.ts';

/**
 * One deploy at a time per database: the migrations *and* the roles, grants
 * and policies after them. Prisma's own advisory lock covers only its
 * migrations, so two deploys could run rls.sql at once and fail with "tuple
 * concurrently updated". A session-level lock dies with its connection, so a
 * killed deploy never leaves it held.
 */
export const DEPLOY_LOCK = 7_262_616_001; // arbitrary; distinct from Prisma's 72707369

/**
 * Polled, not waited for in one `pg_advisory_lock` call: a backend blocked in
 * that call holds a snapshot, and `CREATE INDEX CONCURRENTLY` in the running
 * deploy waits for every older snapshot in the database — so the second deploy
 * waited for the first and the first's index build for the second, a cycle
 * PostgreSQL cannot see (the lock and the migration are different connections).
 */
async function acquire(lock: { query: (sql: string, values: unknown[]) => Promise<{ rows: { ok?: boolean }[] }> }) {
  for (;;) {
    const { rows } = await lock.query('SELECT pg_try_advisory_lock($1) AS ok', [DEPLOY_LOCK]);
    if (rows[0]?.ok === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
  }
}

export async function withDeployLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  return withClient(url, async (lock) => {
    await acquire(lock);
    try {
      return await fn();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [DEPLOY_LOCK]);
    }
  });
}

async function applyMigrations(url: string, quiet: boolean, target: SchemaTarget = MAIN_SCHEMA): Promise<void> {
  const res = await runTool('prisma', ['migrate', 'deploy'], {
    env: { DATABASE_URL: url, ...schemaEnv(target) },
    quiet,
  });
  if (res.code !== 0) throw new Error(`migrate deploy failed (exit ${res.code}):\n${res.stdout}${res.stderr}`);
}

/**
 * Applies the committed migrations to `url`, then the generated row-level
 * security (zenstack/rls.sql), as one serialized unit — the deploy path: what
 * `pnpm db:migrate:deploy` runs in CI and production, and what every test
 * database is built with. Throws with Prisma's output when it fails.
 * `target` picks the central schema of organization mode (no row-level security).
 */
export async function deployMigrations(
  url: string,
  opts: { quiet?: boolean; target?: SchemaTarget } = {},
): Promise<void> {
  const target = opts.target ?? MAIN_SCHEMA;
  await withDeployLock(url, async () => {
    if (target === MAIN_SCHEMA) {
      // Only the organization databases' schema is linted: the central one is small and deployed by hand first.
      const refused = await lintPending(url, 'deploy', opts.quiet ?? false);
      if (refused) throw new UnsafeMigrationError(refused);
    }
    await applyMigrations(url, opts.quiet ?? false, target);
    // rls.sql also creates acme_app, a cluster-wide row that deploys of other databases may touch.
    if (target.rls) await retryCatalogConflicts(() => applyRls(url));
  });
}

/** Thrown by a lint that refuses: the report, ready to print. */
export class UnsafeMigrationError extends Error {
  override readonly name = 'UnsafeMigrationError';
}

/**
 * Lints the committed migrations `url` has not applied yet. Returns the
 * refusal (a report) when one blocks in `mode`, else undefined; findings that
 * do not block are printed as warnings unless `quiet`.
 */
async function lintPending(
  url: string,
  mode: LintMode,
  quiet: boolean,
  migrations?: string[],
): Promise<string | undefined> {
  const recorded = await recordedMigrations(url);
  const pending = migrations ?? committedMigrations().filter((m) => !recorded.has(m));
  const findings = await lintMigrations(MIGRATIONS_DIR, pending);
  const stops = blocking(findings, mode);
  if (stops.length > 0) {
    const what = stops.some((f) => f.destructive) ? 'loses data or locks a live table' : 'locks or breaks a live table';
    return `refused: a pending migration ${what}; nothing was applied.\n${formatFindings(stops)}\n${HOW_TO_ACKNOWLEDGE}`;
  }
  const unacknowledged = findings.filter((f) => !f.acknowledged);
  if (!quiet && unacknowledged.length > 0) console.warn(`Migration lint warnings:\n${formatFindings(unacknowledged)}`);
  return undefined;
}

/** `<UTC yyyymmddHHMMSS>_<slug>`: the migration folder name Prisma uses, ordered by time. */
export function migrationFolderName(slug: string): string {
  return `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${slug}`;
}

/** `add patient Table!` -> `add_patient_table`, as Prisma names migration folders. */
export function migrationSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
}

/** A name from the first change when none is given: `-- AlterTable` on "Clinic" -> `altertable_clinic`. */
function autoName(sql: string): string {
  const kind = /^-- (\w+)/m.exec(sql)?.[1] ?? 'migration';
  const table = /"(\w+)"/.exec(sql)?.[1];
  return migrationSlug(table ? `${kind} ${table}` : kind);
}

/**
 * `pnpm db:migrate`: apply what is pending, refuse to build on a drifted
 * database, turn the difference between the migrations and the schema into a
 * new migration folder, and apply it.
 *
 * Prisma's own `migrate dev` cannot be used here: on the WebAssembly engine
 * it fails at its data-loss check ("shadow DB must be provided through an
 * external factory") as soon as one migration exists. The steps below are the
 * same ones, each a Prisma command that works offline.
 */
export interface MigrateDevOptions {
  name?: string;
  createOnly?: boolean;
  /** Apply migrations the lint refuses (development only: CI and deploys still want the acknowledgement). */
  allowUnsafe?: boolean;
}

/** Exit code of a db:migrate that the lint stopped. */
export const UNSAFE_EXIT = 3;

export async function migrateDev(url: string, opts: MigrateDevOptions): Promise<number> {
  return withDeployLock(url, () => migrateDevLocked(url, opts));
}

/** Lints before applying in db:migrate: false (after printing why) when the migrations must not be applied. */
async function lintBeforeApply(url: string, opts: MigrateDevOptions, migrations?: string[]): Promise<boolean> {
  const refused = await lintPending(url, 'strict', false, migrations);
  if (!refused) return true;
  if (opts.allowUnsafe) {
    console.warn(
      `--allow-unsafe: applying anyway.\n${refused.replace(/^refused: /, '').replace(/; nothing was applied\./, '.')}`,
    );
    return true;
  }
  console.error(`${refused}\nOr, on a development database only: pnpm db:migrate -- --allow-unsafe`);
  return false;
}

async function migrateDevLocked(url: string, opts: MigrateDevOptions): Promise<number> {
  // Only the committed migrations first: zenstack/rls.sql was just regenerated
  // from the edited schema and may name tables that only the migration this
  // command is about to write creates. The policies follow the schema at the end.
  if (!(await lintBeforeApply(url, opts))) return UNSAFE_EXIT;
  await applyMigrations(url, false);
  const drift = await checkDrift(url);
  if (drift.kind === 'drift') {
    console.error(
      `Drift detected: the database differs from the migration history, so a new migration built on it would be wrong.\n\n${drift.sql}\n\n` +
        'Reset the development database (`pnpm db:reset`) or undo the manual change, then run this again.',
    );
    return 2;
  }
  if (drift.kind === 'skipped') console.log(`Drift check skipped: ${drift.reason}`);

  const diff = await runTool(
    'prisma',
    ['migrate', 'diff', '--from-migrations', MIGRATIONS_DIR, '--to-schema-datamodel', PRISMA_SCHEMA, '--script'],
    { env: { DATABASE_URL: url }, quiet: true },
  );
  if (diff.code !== 0) throw new Error(`could not compute the schema change:\n${diff.stderr}`);
  const sql = diff.stdout.trim();
  if (sql === '' || sql.startsWith('-- This is an empty migration')) {
    await applyRls(url);
    console.log('No schema changes: the migrations already describe zenstack/schema.zmodel. Policies applied.');
    return 0;
  }

  const folder = migrationFolderName(opts.name ? migrationSlug(opts.name) : autoName(sql));
  mkdirSync(path.join(MIGRATIONS_DIR, folder));
  writeFileSync(path.join(MIGRATIONS_DIR, folder, 'migration.sql'), `${sql}\n`);
  console.log(`Created migrations/${folder}/migration.sql`);
  if (opts.createOnly) {
    console.log(
      'Not applied (--create-only), and neither are the new policies. Edit it if needed, then run `pnpm db:migrate` (development) or `pnpm db:migrate:deploy`.',
    );
    return 0;
  }
  if (!(await lintBeforeApply(url, opts, [folder]))) {
    console.error(`migrations/${folder} is kept, not applied: edit or acknowledge it, then run pnpm db:migrate again.`);
    return UNSAFE_EXIT;
  }
  await applyMigrations(url, false);
  await applyRls(url);
  console.log('Applied, with the policies of zenstack/rls.sql.');
  return 0;
}
