import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'lib/*/tests/**/*.test.ts', 'packages/*/tests/**/*.test.ts'],
    // Fault, concurrency and load tests, and the read-replica tests (they start servers), run apart: `pnpm test:faults`.
    // The randomized policy suite runs apart too: `pnpm test:policy-fuzz`.
    exclude: [...configDefaults.exclude, 'tests/faults/**', 'tests/replicas/**', 'tests/policy-fuzz/**'],
    globalSetup: ['tests/support/global-setup.ts'],
    setupFiles: ['tests/support/database-per-file.ts', 'tests/support/matchers.ts'],
    // Creating a database and deploying migrations takes a second or two per file.
    hookTimeout: 60_000,
    testTimeout: 30_000,
    // Two cores: more workers than that only adds contention on the one server.
    maxWorkers: 2,
  },
});
