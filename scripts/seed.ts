/**
 * `pnpm db:seed` — deterministic, idempotent development data (see tooling/seed/data.ts).
 * Inserts the seed rows that are missing and leaves edited rows alone; `-- --reset` puts them back.
 * `pnpm db:seed -- --clinics 20000` also bulk-loads that many synthetic clinics.
 */
import { parseArgs } from 'node:util';
import { closeDb } from '@acme/db';
import { SEED_COUNTS, seedDatabase } from '../tooling/seed/data.ts';
import { withTargetDatabase } from '../tooling/target-database.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { clinics: { type: 'string' }, reset: { type: 'boolean' } },
});
const extraClinics = Number(values.clinics ?? 0);
if (!Number.isInteger(extraClinics) || extraClinics < 0) {
  console.error('--clinics takes a whole number');
  process.exit(64);
}

try {
  await withTargetDatabase('db:seed', async (url) => {
    try {
      const { created, restored } = await seedDatabase(url, { extraClinics, reset: values.reset === true });
      const c = SEED_COUNTS;
      console.log(
        `Seed: ${c.clinics} clinics, ${c.treatments} treatments, ${c.links} links, ${c.memberships} memberships, ${c.patients} patients. ` +
          `${created} missing rows inserted${values.reset ? `, ${restored} edited rows put back` : ''} (audited as system:seed).`,
      );
      if (!values.reset)
        console.log('Rows you edited were left as they are; `pnpm db:seed -- --reset` puts them back.');
    } finally {
      await closeDb();
    }
  });
} catch (err) {
  console.error(`[db:seed] failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
