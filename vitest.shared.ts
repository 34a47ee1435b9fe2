import path from 'node:path';
import { configDefaults, defineConfig, type ViteUserConfig } from 'vitest/config';

const ROOT = import.meta.dirname;

/**
 * One test setup for every package of the workspace: each test file gets its own database on one PostgreSQL
 * server per run (tests/support). A package's own `vitest.config.ts` runs only its `tests/` with it, from the
 * repo root, so turbo can run and cache each package's `test` apart.
 */
export function testConfig(include: string[], exclude: string[] = []): ViteUserConfig {
  return defineConfig({
    root: ROOT,
    test: {
      include,
      exclude: [...configDefaults.exclude, ...exclude],
      globalSetup: ['tests/support/global-setup.ts'],
      setupFiles: ['tests/support/database-per-file.ts', 'tests/support/matchers.ts'],
      // Creating a database and deploying migrations takes a second or two per file.
      hookTimeout: 60_000,
      testTimeout: 30_000,
      // Two cores: more workers than that only adds contention on the one server.
      maxWorkers: 2,
    },
  });
}

/** The config of the package in `dir` (its `import.meta.dirname`): its own tests only. */
export const packageTestConfig = (dir: string): ViteUserConfig =>
  testConfig([`${path.relative(ROOT, dir)}/tests/**/*.test.ts`]);
