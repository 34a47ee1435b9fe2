/** Migrations under contention and failure. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { committedMigrations } from '../../scripts/lib/baseline.ts';
import { withClient } from '../../scripts/lib/database.ts';
import { withRepoCopy } from '../support/repo-copy.ts';
import { runDbScript } from '../support/run-db-script.ts';
import { scratchDatabases } from '../support/scratch-databases.ts';

const emptyDatabase = scratchDatabases('acme_mf');

const history = (url: string) =>
  withClient(
    url,
    async (c) =>
      (await c.query('SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY 1'))
        .rows,
  );
const tables = (url: string) =>
  withClient(url, async (c) =>
    (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map(
      (r) => r.tablename,
    ),
  );

describe('concurrent deploys', () => {
  it('two db:migrate:deploy at once apply each migration exactly once', async () => {
    const url = await emptyDatabase();
    const [a, b] = await Promise.all([runDbScript(['deploy'], url), runDbScript(['deploy'], url)]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    expect(await history(url)).toEqual(committedMigrations().map((m) => ({ migration_name: m, finished: true })));
  });
});

describe('a migration that fails midway', () => {
  it('leaves the schema as it was, and db:status reports the failure', async () => {
    await withRepoCopy(async (copy) => {
      const url = await emptyDatabase();
      expect((await runDbScript(['deploy'], url, copy)).code).toBe(0);
      const before = await tables(url);

      const broken = path.join(copy, 'migrations', '29991231000000_broken');
      mkdirSync(broken);
      writeFileSync(
        path.join(broken, 'migration.sql'),
        'CREATE TABLE "HalfDone" ("id" TEXT PRIMARY KEY);\nALTER TABLE "Clinic" ADD COLUMN "x" INTEGER;\nSELECT 1 / 0;\n',
      );
      const deploy = await runDbScript(['deploy'], url, copy);
      expect(deploy.code).not.toBe(0);
      expect(deploy.output).toMatch(/division by zero/);
      expect(await tables(url)).toEqual(before);
      const cols = await withClient(url, (c) =>
        c.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'Clinic' AND column_name = 'x'`),
      );
      expect(cols.rows).toHaveLength(0);

      const status = await runDbScript(['status'], url, copy);
      expect(status.code).not.toBe(0);
      expect(status.output).toMatch(/29991231000000_broken/);
      expect(status.output).toMatch(/failed/i);
    });
  });
});
