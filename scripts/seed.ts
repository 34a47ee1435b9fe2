/** `pnpm db:seed` — deterministic, idempotent development data (see scripts/lib/seed-data.ts). */
import { SEED_COUNTS, seedDatabase } from './lib/seed-data.ts';
import { withTargetDatabase } from './lib/target-database.ts';

try {
  await withTargetDatabase('db:seed', seedDatabase);
  console.log(
    `Seeded ${SEED_COUNTS.clinics} clinics, ${SEED_COUNTS.treatments} treatments, ${SEED_COUNTS.links} links.`,
  );
} catch (err) {
  console.error(`[db:seed] failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
