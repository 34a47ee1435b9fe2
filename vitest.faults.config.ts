import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** `pnpm test:faults`: fault injection, concurrency and load, each file with its own server or limits. */
export default defineConfig({
  test: {
    ...base.test,
    include: ['tests/faults/**/*.test.ts', 'tests/replicas/**/*.test.ts'],
    exclude: configDefaults.exclude,
    testTimeout: 120_000,
    maxWorkers: 1,
  },
});
