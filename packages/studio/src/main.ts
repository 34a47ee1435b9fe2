/**
 * `pnpm studio` — the policy studio: a local web app that shows the data as
 * any session sees it through createDb, why each row is visible or not
 * (explain()), the live policy matrix and the benchmark's latest results.
 *
 *   pnpm studio                      127.0.0.1, port 4000 (PORT=0: any free port)
 *   pnpm studio -- --host 0.0.0.0 --allow-remote   another interface: prints a one-time token URL
 *
 * Uses the database `pnpm demo` uses (DATABASE_URL, else the embedded
 * development one), applies the migrations and seeds an empty database.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDb, createSystemDb } from '@acme/db';
import { deployMigrations } from '@acme/db/tooling/migrate/migrate.ts';
import { probePolicies } from '@acme/db/tooling/policy-probe.ts';
import { seedDatabase } from '@acme/db/tooling/seed/data.ts';
import { checkStartupConfig } from '@acme/db/tooling/startup-config.ts';
import { openTargetOrExit } from '@acme/db/tooling/target-database.ts';
import { StudioRefusedError, startStudio } from './server.ts';

const log = (line: string) => console.log(`[studio] ${line}`);
const { values } = parseArgs({
  options: { host: { type: 'string', default: '127.0.0.1' }, 'allow-remote': { type: 'boolean', default: false } },
});
const port = Number(process.env.PORT ?? 4000);

if (process.env.NODE_ENV === 'production') {
  console.error('[studio] refusing to start with NODE_ENV=production: the studio reads as the database owner.');
  process.exit(1);
}

checkStartupConfig('studio'); // one line for a bad setting, before the database is started
const target = await openTargetOrExit('studio');
let stop = async () => {
  await closeDb();
  await target.release();
};
const shutdown = async (reason: string) => {
  log(`${reason}: stopping`);
  await stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

try {
  await deployMigrations(target.url, { quiet: true });
  if ((await createSystemDb('studio').clinic.count()) === 0) {
    const seeded = await seedDatabase(target.url);
    log(`empty database: ${seeded.created} seed rows inserted`);
  }
  const sessions = Object.fromEntries(
    (['USER', 'SUPPORT', 'ADMIN'] as const).map((role) => [role, { id: `studio-${role.toLowerCase()}`, role }]),
  );
  const studio = await startStudio({
    port,
    host: values.host,
    allowRemote: values['allow-remote'],
    benchFile: path.resolve(import.meta.dirname, '../../../bench/results.json'),
    probe: () => probePolicies(target.url, { anonymous: null, ...sessions }),
    log,
  });
  const previous = stop;
  stop = async () => {
    await studio.close();
    await previous();
  };
  if (studio.tokenUrl) log(`listening beyond loopback; open once (one-time token, this run only): ${studio.tokenUrl}`);
  log(`Policy studio on ${studio.url} (read-only) — Ctrl-C to stop.`);
} catch (err) {
  console.error(`[studio] ${err instanceof StudioRefusedError ? 'refused' : 'failed'}: ${(err as Error).message}`);
  await stop();
  process.exit(1);
}
