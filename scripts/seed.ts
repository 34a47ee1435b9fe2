/**
 * `pnpm db:seed` — deterministic, idempotent development data (see scripts/lib/seed-data.ts).
 * `pnpm db:seed -- --clinics 20000` also bulk-loads that many synthetic clinics.
 */
import { parseArgs } from 'node:util';
import { closeDb } from '../src/index.ts';
import { SEED_COUNTS, seedDatabase } from './lib/seed-data.ts';
import { withTargetDatabase } from './lib/target-database.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { clinics: { type: 'string' } },
});
const extraClinics = Number(values.clinics ?? 0);
if (!Number.isInteger(extraClinics) || extraClinics < 0) {
  console.error('--clinics takes a whole number');
  process.exit(64);
}

try {
  await withTargetDatabase('db:seed', async (url) => {
    try {
      await seedDatabase(url, { extraClinics });
    } finally {
      await closeDb();
    }
  });
  const c = SEED_COUNTS;
  console.log(
    `Seeded ${c.clinics} clinics, ${c.treatments} treatments, ${c.links} links, ${c.memberships} memberships, ${c.patients} patients (audited as system:seed).`,
  );
} catch (err) {
  console.error(`[db:seed] failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
