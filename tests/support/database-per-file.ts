/**
 * Runs before each test file (vitest setupFiles): creates a fresh database on
 * the shared server, applies the committed migrations to it through the
 * deploy path, and points DATABASE_URL at it — so the package under test is
 * configured exactly as an app would configure it.
 */
import { afterAll, inject } from 'vitest';
import { createScratchDatabase, dropDatabase } from '../../scripts/lib/database.ts';
import { deployMigrations } from '../../scripts/lib/migrate.ts';
import { closeDb } from '../../src/index.ts';

const url = await createScratchDatabase(inject('testServerUrl'), 'acme_test');
await deployMigrations(url, { quiet: true });
process.env.DATABASE_URL = url;

afterAll(async () => {
  await closeDb();
  await dropDatabase(url);
});
