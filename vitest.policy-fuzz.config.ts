import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/** `pnpm test:policy-fuzz`: the randomized differential suite of the access rules (tests/policy-fuzz). */
export default defineConfig({
  test: {
    ...base.test,
    include: ['tests/policy-fuzz/**/*.test.ts'],
    exclude: [],
    maxWorkers: 1,
    testTimeout: 0,
  },
});
