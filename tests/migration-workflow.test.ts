/** The db:* commands as developers and CI run them, against real databases. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { withClient } from '../tooling/database.ts';
import { committedMigrations } from '../tooling/migrate/baseline.ts';
import { runNode } from '../tooling/tool-env.ts';
import { withRepoCopy } from './support/repo-copy.ts';
import { runDbScript } from './support/run-db-script.ts';
import { scratchDatabases } from './support/scratch-databases.ts';

// Each test runs CLI commands (Prisma, ZenStack, PostgreSQL start-up): slow on a busy 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const emptyDatabase = scratchDatabases('acme_wf');

const appliedMigrations = (url: string) =>
  withClient(url, async (c) => (await c.query('SELECT migration_name FROM _prisma_migrations ORDER BY 1')).rows);

describe('db:migrate:deploy', () => {
  it('applies every committed migration once, and a second run changes nothing', async () => {
    const url = await emptyDatabase();
    const first = await runDbScript(['deploy'], url);
    expect(first.code, first.output).toBe(0);
    const second = await runDbScript(['deploy'], url);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('No pending migrations to apply');
    expect(await appliedMigrations(url)).toEqual(committedMigrations().map((m) => ({ migration_name: m })));
  });

  it('never prints the password of the connection string', async () => {
    const url = await emptyDatabase();
    const password = decodeURIComponent(new URL(url).password);
    const res = await runDbScript(['deploy'], url);
    expect(password.length).toBeGreaterThan(3);
    expect(res.output).not.toContain(password);
    expect(res.output).toContain(':***@');
  });
});

describe('db:status', () => {
  it('reports pending migrations on a database that has none applied, and exits non-zero', async () => {
    const url = await emptyDatabase();
    const res = await runDbScript(['status'], url);
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/not yet been applied/);
    expect(res.output).toContain(committedMigrations()[0]);
  });

  it('reports drift when the database was changed by hand', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['deploy'], url)).code).toBe(0);
    await withClient(url, (c) => c.query('ALTER TABLE "Clinic" ADD COLUMN "fax" text'));
    const res = await runDbScript(['status'], url);
    expect(res.code).toBe(2);
    expect(res.output).toContain('Drift detected');
    expect(res.output).toMatch(/ADD COLUMN\s+"fax" TEXT/);
  });

  it('is clean right after deploy, and prints only what is true here', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['deploy'], url)).code).toBe(0);
    const res = await runDbScript(['status'], url);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain('No drift');
    expect(res.output).toContain(`${committedMigrations().length} migrations found in migrations/`);
    expect(res.output).toContain('All migrations have been applied.');
    expect(res.output).not.toMatch(/prisma\/migrations|will NOT be used|Multiple versions|up to date!/);
  });

  it('says a malformed DATABASE_URL is malformed, without showing it or reaching for an engine', async () => {
    const bad = 'postgresql://user:hunter2-secret@[not-a-host/db';
    const res = await runDbScript(['status'], bad);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('DATABASE_URL is not a valid URL (value not shown');
    expect(res.output).not.toMatch(/hunter2|ENOTFOUND|engine/i);
  });
});

describe('db:baseline', () => {
  it('records the migrations of a pushed database as applied without running them', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['push'], url)).code).toBe(0);
    await withClient(url, (c) =>
      c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt") VALUES ('keep', 'Kept', 'K', now())`),
    );
    const res = await runDbScript(['migrate', '--baseline'], url);
    expect(res.code, res.output).toBe(0);
    expect(await appliedMigrations(url)).toHaveLength(committedMigrations().length);
    const deploy = await runDbScript(['deploy'], url);
    expect(deploy.output).toContain('No pending migrations');
    // Nothing was re-run: the row written before the baseline is still there.
    expect((await withClient(url, (c) => c.query(`SELECT name FROM "Clinic" WHERE id = 'keep'`))).rows).toEqual([
      { name: 'Kept' },
    ]);
  });

  it('refuses to baseline a database whose schema differs from the migrations', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['push'], url)).code).toBe(0);
    await withClient(url, (c) => c.query('ALTER TABLE "Treatment" DROP COLUMN "description"'));
    const res = await runDbScript(['baseline'], url);
    expect(res.code).toBe(1);
    expect(res.output).toContain('Refusing to baseline');
    expect(
      await withClient(url, async (c) => (await c.query(`SELECT to_regclass('_prisma_migrations') AS t`)).rows[0]),
    ).toEqual({ t: null });
  });
});

/** A copy of the repo whose clinic model can gain a nullable `phone` column. */
function withEditedRepo(fn: (copy: string, setPhone: (present: boolean) => void) => Promise<void>) {
  return withRepoCopy(async (copy) => {
    const clinicModel = path.join(copy, 'zenstack/models/clinic.zmodel');
    const original = readFileSync(clinicModel, 'utf8');
    const withPhone = original.replace('  createdAt DateTime', '  phone     String?\n  createdAt DateTime');
    expect(withPhone).not.toBe(original);
    await fn(copy, (present) => writeFileSync(clinicModel, present ? withPhone : original));
  });
}

const phoneColumn = (url: string) =>
  withClient(
    url,
    async (c) =>
      (await c.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'Clinic' AND column_name = 'phone'`))
        .rows,
  );

describe('db:migrate', () => {
  it('turns a schema change into a new, named migration folder and applies it', async () => {
    await withEditedRepo(async (copy, setPhone) => {
      setPhone(true);
      const url = await emptyDatabase();
      const res = await runDbScript(['migrate', '--', '--name', 'add_clinic_phone'], url, copy);
      expect(res.code, res.output).toBe(0);
      const added = readdirSync(path.join(copy, 'migrations')).filter((d) => d.endsWith('_add_clinic_phone'));
      expect(added).toHaveLength(1);
      const sql = readFileSync(path.join(copy, 'migrations', added[0] as string, 'migration.sql'), 'utf8');
      expect(sql).toMatch(/ALTER TABLE "Clinic" ADD COLUMN\s+"phone" TEXT/);
      expect(await phoneColumn(url)).toHaveLength(1);
    });
  });
});

describe('db:push', () => {
  it('refuses a change that would drop data unless --accept-data-loss is given', async () => {
    await withEditedRepo(async (copy, setPhone) => {
      const url = await emptyDatabase();
      setPhone(true);
      expect((await runDbScript(['push'], url, copy)).code).toBe(0);
      await withClient(url, (c) =>
        c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt", phone) VALUES ('p', 'P', 'P', now(), '555-0100')`),
      );
      setPhone(false);
      const refused = await runDbScript(['push'], url, copy);
      expect(refused.code, refused.output).not.toBe(0);
      expect(refused.output).toContain('--accept-data-loss');
      expect((await withClient(url, (c) => c.query(`SELECT phone FROM "Clinic"`))).rows).toEqual([
        { phone: '555-0100' },
      ]);
      const accepted = await runDbScript(['push', '--', '--accept-data-loss'], url, copy);
      expect(accepted.code, accepted.output).toBe(0);
      expect(await phoneColumn(url)).toHaveLength(0);
    });
  });
});

describe('without DATABASE_URL', () => {
  it('uses the embedded development database under .data/, stops it afterwards, and keeps its data', async () => {
    await withEditedRepo(async (copy) => {
      const first = await runDbScript(['deploy'], '', copy);
      expect(first.code, first.output).toBe(0);
      expect(first.output).toContain('DATABASE_URL is not set: starting the embedded development database');
      expect(first.output).toMatch(/Applying migration|applied/);
      const second = await runDbScript(['deploy'], '', copy);
      expect(second.code, second.output).toBe(0);
      expect(second.output).toContain('No pending migrations');
      const { stdout } = await runNode(
        ['-e', 'require("child_process").execSync("ps -eo args", { stdio: "inherit" })'],
        {
          capture: true,
        },
      );
      expect(stdout).not.toContain(path.join(copy, '.data'));
    });
  });
});
