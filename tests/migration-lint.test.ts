/**
 * Safe migrations: squawk lints what db:migrate is about to apply, CI lints every committed migration, and
 * db:migrate:deploy never applies data loss without an acknowledgement in the migration.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withClient } from '../tooling/database.ts';
import { withRepoCopy } from './support/repo-copy.ts';
import { runDbScript } from './support/run-db-script.ts';
import { scratchDatabases } from './support/scratch-databases.ts';

// CLI runs (tsx, ZenStack, Prisma) on a busy 2-core machine.
vi.setConfig({ testTimeout: 240_000 });
const emptyDatabase = scratchDatabases('acme_lint');

function addMigration(copy: string, name: string, sql: string): void {
  mkdirSync(path.join(copy, 'migrations', name), { recursive: true });
  writeFileSync(path.join(copy, 'migrations', name, 'migration.sql'), sql);
}

const recorded = (url: string, name: string) =>
  withClient(
    url,
    async (c) => (await c.query('SELECT 1 FROM _prisma_migrations WHERE migration_name = $1', [name])).rowCount,
  );
const columns = (url: string, table: string) =>
  withClient(url, async (c) =>
    (
      await c.query(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY 1`, [table])
    ).rows.map((r) => r.column_name as string),
  );

const UNSAFE = {
  'adding-required-field': 'ALTER TABLE "Clinic" ADD COLUMN "region" TEXT NOT NULL;',
  'require-concurrent-index-creation': 'CREATE INDEX "Clinic_name_idx" ON "Clinic"("name");',
  'ban-drop-column': 'ALTER TABLE "Treatment" DROP COLUMN "description";',
  'renaming-column': 'ALTER TABLE "Clinic" RENAME COLUMN "code" TO "shortCode";',
  'changing-column-type': 'ALTER TABLE "Treatment" ALTER COLUMN "price" TYPE DECIMAL(12,2);',
  'ban-drop-table': 'DROP TABLE "TreatmentsByClinic";',
} as const;

describe('pnpm db:migrate:lint (CI)', () => {
  it('passes the committed migrations, the old ones through the allow-list', async () => {
    const res = await runDbScript(['lint'], 'postgresql://unused@127.0.0.1:1/none');
    expect(res.code, res.output).toBe(0);
    expect(res.output).toMatch(
      /Acknowledged migrations\/20261123212600_text_and_amount_checks: constraint-missing-not-valid/,
    );
    expect(res.output).toMatch(/\d+ migrations checked with squawk/);
  });

  it('fails a new migration for each unsafe kind until each is acknowledged with a reason', async () => {
    await withRepoCopy(async (copy) => {
      const name = '29990101000000_unsafe';
      addMigration(copy, name, `${Object.values(UNSAFE).join('\n')}\n`);
      const refused = await runDbScript(['lint'], 'postgresql://unused@127.0.0.1:1/none', copy);
      expect(refused.code).toBe(1);
      for (const rule of Object.keys(UNSAFE)) expect(refused.output).toContain(rule);
      expect(refused.output).toContain(`migrations/${name}/migration.sql:2`); // the CREATE INDEX line

      // A typo or a missing reason is a finding of its own, never a silent pass.
      addMigration(copy, name, `-- acme:allow ban-drop-colum because typo\n${Object.values(UNSAFE).join('\n')}\n`);
      const typo = await runDbScript(['lint'], 'postgresql://unused@127.0.0.1:1/none', copy);
      expect(typo.code).toBe(1);
      expect(typo.output).toMatch(/invalid-acknowledgement/);

      const acks = Object.keys(UNSAFE).map((rule) => `-- acme:allow ${rule} because the test says so`);
      addMigration(copy, name, `${acks.join('\n')}\n${Object.values(UNSAFE).join('\n')}\n`);
      const allowed = await runDbScript(['lint'], 'postgresql://unused@127.0.0.1:1/none', copy);
      expect(allowed.code, allowed.output).toBe(0);
    });
  });

  it('accepts the safe forms: CONCURRENTLY on its own, a new table with its indexes, NOT VALID + VALIDATE', async () => {
    await withRepoCopy(async (copy) => {
      addMigration(copy, '29990101000000_index', 'CREATE INDEX CONCURRENTLY "Clinic_name_idx" ON "Clinic"("name");\n');
      addMigration(
        copy,
        '29990101000001_room',
        'CREATE TABLE "Room" ("id" TEXT NOT NULL PRIMARY KEY, "clinicId" TEXT NOT NULL);\n' +
          'CREATE INDEX "Room_clinicId_idx" ON "Room"("clinicId");\n' +
          'ALTER TABLE "Clinic" ADD CONSTRAINT "Clinic_code_upper" CHECK ("code" = upper("code")) NOT VALID;\n',
      );
      addMigration(copy, '29990101000002_validate', 'ALTER TABLE "Clinic" VALIDATE CONSTRAINT "Clinic_code_upper";\n');
      const res = await runDbScript(['lint'], 'postgresql://unused@127.0.0.1:1/none', copy);
      expect(res.code, res.output).toBe(0);
    });
  });
});

describe('pnpm db:migrate lints before it applies', () => {
  it('refuses an unacknowledged lock and applies nothing; --allow-unsafe applies it', async () => {
    await withRepoCopy(async (copy) => {
      const url = await emptyDatabase();
      expect((await runDbScript(['deploy'], url, copy)).code).toBe(0);
      // A CHECK on a live table without NOT VALID scans it under a lock that blocks writes.
      const name = '29990101000000_code_upper';
      addMigration(
        copy,
        name,
        'ALTER TABLE "Clinic" ADD CONSTRAINT "Clinic_code_upper" CHECK ("code" = upper("code"));\n',
      );
      const refused = await runDbScript(['migrate'], url, copy);
      expect(refused.code, refused.output).toBe(3);
      expect(refused.output).toMatch(/constraint-missing-not-valid/);
      expect(refused.output).toMatch(/--allow-unsafe/);
      expect(await recorded(url, name)).toBe(0);

      const forced = await runDbScript(['migrate', '--', '--allow-unsafe'], url, copy);
      expect(forced.code, forced.output).toBe(0);
      expect(await recorded(url, name)).toBe(1);
      const check = await withClient(url, (c) =>
        c.query(`SELECT 1 FROM pg_constraint WHERE conname = 'Clinic_code_upper'`),
      );
      expect(check.rowCount).toBe(1);
    });
  });
});

describe('pnpm db:migrate:deploy and data loss', () => {
  it('never drops a column without the acknowledgement; with it, does', async () => {
    await withRepoCopy(async (copy) => {
      const url = await emptyDatabase();
      expect((await runDbScript(['deploy'], url, copy)).code).toBe(0);
      await withClient(url, (c) =>
        c.query(
          `INSERT INTO "Treatment" (id, name, description, price, "updatedAt") VALUES ('t1', 'X', 'kept', 1, now())`,
        ),
      );
      const name = '29990101000000_drop_description';
      const drop = 'ALTER TABLE "Treatment" DROP COLUMN "description";\n';
      addMigration(copy, name, drop);
      const refused = await runDbScript(['deploy'], url, copy);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toMatch(/ban-drop-column \(DATA LOSS\)/);
      expect(await columns(url, 'Treatment')).toContain('description');
      expect(await recorded(url, name)).toBe(0);
      const kept = await withClient(url, (c) => c.query(`SELECT description FROM "Treatment" WHERE id = 't1'`));
      expect(kept.rows).toEqual([{ description: 'kept' }]);

      addMigration(copy, name, `-- acme:allow ban-drop-column because nothing reads it any more\n${drop}`);
      const applied = await runDbScript(['deploy'], url, copy);
      expect(applied.code, applied.output).toBe(0);
      expect(await columns(url, 'Treatment')).not.toContain('description');
      expect(await recorded(url, name)).toBe(1);
    });
  });

  it('applies a lock finding (CI stops those) with a warning', async () => {
    await withRepoCopy(async (copy) => {
      const url = await emptyDatabase();
      const name = '29990101000000_clinic_name_idx';
      addMigration(copy, name, 'CREATE INDEX "Clinic_name_idx" ON "Clinic"("name");\n');
      // On a fresh database every migration is pending: the committed ones pass, the new one warns.
      const res = await runDbScript(['deploy'], url, copy);
      expect(res.code, res.output).toBe(0);
      expect(res.output).toMatch(/Migration lint warnings:[\s\S]*require-concurrent-index-creation \(unsafe\)/);
      expect(await recorded(url, name)).toBe(1);
    });
  });
});
