import { testConfig } from './vitest.shared.ts';

// The root package's own tests; lib/* and packages/* run theirs through their vitest.config.ts (`pnpm test` runs all).
// Fault, concurrency and load tests, and the read-replica tests (they start servers), run apart: `pnpm test:faults`.
// The randomized policy suite runs apart too: `pnpm test:policy-fuzz`.
export default testConfig(['tests/**/*.test.ts'], ['tests/faults/**', 'tests/replicas/**', 'tests/policy-fuzz/**']);
