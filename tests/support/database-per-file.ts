/**
 * Runs before each test file (vitest setupFiles): creates a fresh database on
 * the shared server, applies the committed migrations and the generated
 * row-level security to it through the deploy path, and points DATABASE_URL
 * (owner: migrations, system client, the tests' unrestricted reads) and
 * APP_DATABASE_URL (the acme_app role every session connects as) at it — so
 * every test runs with both the ORM's rules and PostgreSQL's in force, as an
 * app would be configured. TEST_APP_VIA=host:port sends the app role through
 * PgBouncer instead.
 */
import { afterAll, inject } from 'vitest';
import { closeDb } from '../../src/index.ts';
import { APP_ROLE } from '../../src/rls/names.ts';
import { createScratchDatabase, dropDatabase } from '../../tooling/database.ts';
import { deployMigrations } from '../../tooling/migrate/migrate.ts';
import { appUrl } from '../../tooling/rls/app-role.ts';

const url = await createScratchDatabase(inject('testServerUrl'), 'acme_test');
await deployMigrations(url, { quiet: true });
process.env.DATABASE_URL = url;
process.env.APP_DATABASE_URL = appUrl(
  url,
  { user: APP_ROLE, password: inject('appRolePassword') },
  process.env.TEST_APP_VIA || undefined,
);

afterAll(async () => {
  await closeDb();
  await dropDatabase(url);
});
