import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withClient } from '../database.ts';
import { MIGRATIONS_DIR, runTool } from '../tool-env.ts';
import { checkDrift, pullDatamodel } from './drift.ts';
import { migrationFolderName } from './migrate.ts';

export function committedMigrations(): string[] {
  if (!existsSync(MIGRATIONS_DIR)) return [];
  return readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(MIGRATIONS_DIR, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}

export async function recordedMigrations(url: string): Promise<Set<string>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ exists: boolean }>(
      `SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS exists`,
    );
    if (!rows[0]?.exists) return new Set<string>();
    const res = await c.query<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    return new Set(res.rows.map((r) => r.migration_name));
  });
}

async function markApplied(name: string): Promise<void> {
  const res = await runTool('prisma', ['migrate', 'resolve', '--applied', name]);
  if (res.code !== 0) throw new Error(`could not record ${name} as applied`);
}

/**
 * Baselines an existing database: records its current schema as applied
 * migrations without running any SQL, so `db:migrate:deploy` can take over.
 *
 * - No migrations committed yet: writes `<timestamp>_baseline` from the
 *   live schema and records it.
 * - Migrations committed: records the ones the database lacks, but only when
 *   the live schema is exactly what they would build. Otherwise it refuses
 *   and prints the difference; baselining a different schema would hide drift.
 */
export async function baseline(url: string): Promise<number> {
  const committed = committedMigrations();
  if (committed.length === 0) {
    const tmp = path.join(MIGRATIONS_DIR, '.baseline.prisma');
    mkdirSync(MIGRATIONS_DIR, { recursive: true });
    writeFileSync(tmp, await pullDatamodel(url));
    const sql = await runTool('prisma', ['migrate', 'diff', '--from-empty', '--to-schema-datamodel', tmp, '--script'], {
      capture: true,
    });
    rmSync(tmp);
    if (sql.code !== 0) throw new Error(`could not turn the live schema into SQL (exit ${sql.code})`);
    const name = migrationFolderName('baseline');
    mkdirSync(path.join(MIGRATIONS_DIR, name));
    writeFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql'), sql.stdout);
    await markApplied(name);
    console.log(`Baselined: wrote migrations/${name} from the live schema and recorded it as applied.`);
    return 0;
  }

  const recorded = await recordedMigrations(url);
  const missing = committed.filter((m) => !recorded.has(m));
  if (missing.length === 0) {
    console.log('Nothing to baseline: every committed migration is already recorded.');
    return 0;
  }
  const drift = await checkDrift(url);
  if (drift.kind === 'skipped') throw new Error(`cannot verify the live schema before baselining: ${drift.reason}`);
  if (drift.kind === 'drift') {
    console.error(
      'Refusing to baseline: the database differs from what the committed migrations build.\n' +
        `SQL that would turn the migrations' schema into the live one:\n\n${drift.sql}\n\n` +
        'Fix the difference (or `pnpm db:reset` in development), then baseline again.',
    );
    return 1;
  }
  for (const name of missing) await markApplied(name);
  console.log(
    `Baselined: recorded ${missing.length} migration(s) as applied without running them: ${missing.join(', ')}`,
  );
  return 0;
}
