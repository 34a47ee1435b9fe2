/**
 * `pnpm bench:orgs [-- --quick]`: what organization mode costs.
 * 1. Routing: createDb(session) with 1,000 organizations registered, against
 *    single-database createDb, on the same sessions, interleaved. Neither
 *    opens a connection; the difference is the router (directory lookup,
 *    status check, the organization's runtime).
 * 2. Connections held: queries spread over many organizations with a small
 *    DB_MAX_CONNECTIONS_TOTAL, pg_stat_activity sampled on the server.
 * Never part of the test suite.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { SessionInput } from '@acme/auth';
import { readDbConfig } from '@acme/db/config';
import { OrgRouter, readOrgConfig } from '@acme/db/orgs';
import { DbRuntime } from '@acme/db/runtime';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, withClient, withDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { CENTRAL_SCHEMA } from '../tooling/migrate/schema-targets.ts';
import { eachBounded } from '../tooling/orgs/deploy.ts';
import { appUrl, ensureAppLogin } from '../tooling/rls/app-role.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { quick: { type: 'boolean' } },
});
const quick = values.quick === true;
const REGISTERED = 1_000;
const SPREAD = 200; // organizations the sessions are spread over
const SESSIONS_PER_ORG = 2;
const ROUNDS = quick ? 5 : 15;
const CALLS = quick ? 20_000 : 100_000;
const WITH_DB = quick ? 20 : 60; // organizations that get a real database for part 2
const CAP = 10;

const server = await startTestServer();
try {
  const prefix = `bench${randomBytes(3).toString('hex')}_`;
  const password = randomBytes(12).toString('hex');
  const login = { user: 'acme_app', password };
  await ensureAppLogin(server.url, login);
  const central = await createScratchDatabase(server.url, 'bench_central');
  await deployMigrations(central, { quiet: true, target: CENTRAL_SCHEMA });
  const template = `${prefix}template`;
  await withClient(server.url, (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(template)}`));
  const templateUrl = withDatabase(server.url, template);
  await deployMigrations(templateUrl, { quiet: true });
  await withClient(server.url, async (c) => {
    for (let i = 0; i < WITH_DB; i++) {
      await c.query(
        `CREATE DATABASE ${pg.escapeIdentifier(`${prefix}o${i}`)} TEMPLATE ${pg.escapeIdentifier(template)}`,
      );
    }
  });
  await withClient(central, (c) =>
    c.query(
      `INSERT INTO "Organization" (id, slug, name, "dbName", "updatedAt")
       SELECT 'o' || i, 'org-' || i, 'Org ' || i, $1 || 'o' || i, now() FROM generate_series(0, $2 - 1) AS i`,
      [prefix, REGISTERED],
    ),
  );
  const env = {
    ...process.env,
    CENTRAL_DATABASE_URL: central,
    APP_DATABASE_URL: appUrl(central, login),
    DB_MAX_CONNECTIONS_TOTAL: String(CAP),
    DB_APPLICATION_NAME: `${prefix}app`,
    ORG_DIRECTORY_TTL_MS: '600000',
  };

  // 1. Routing cost per createDb call.
  const single = new DbRuntime(
    readDbConfig({ DATABASE_URL: templateUrl, APP_DATABASE_URL: appUrl(templateUrl, login) }),
  );
  const router = new OrgRouter(readOrgConfig(env));
  await router.directory.refresh();
  const plain: SessionInput[] = [];
  const routed: SessionInput[] = [];
  for (let o = 0; o < SPREAD; o++) {
    for (let s = 0; s < SESSIONS_PER_ORG; s++) {
      const session = { id: `user-${o}-${s}`, role: 'USER' as const };
      plain.push(session);
      routed.push({ ...session, orgSlug: `org-${(o * 5) % REGISTERED}` });
    }
  }
  const time = (fn: (s: SessionInput) => unknown, sessions: SessionInput[]) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) fn(sessions[i % sessions.length] as SessionInput);
    return Number(process.hrtime.bigint() - start) / CALLS;
  };
  const createSingle = (s: SessionInput) => single.createDb(s);
  const createRouted = (s: SessionInput) => router.createDb(s);
  time(createSingle, plain); // warm: every session bound once
  time(createRouted, routed);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(time(createSingle, plain));
    b.push(time(createRouted, routed));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  const ns = (x: number) => `${(x / 1000).toFixed(2)} µs`;
  console.log(`\nRouting (${REGISTERED} organizations registered, sessions spread over ${SPREAD}, ${ROUNDS} rounds):`);
  console.log(`  createDb, single database      ${ns(median(a))} per call (median of rounds)`);
  console.log(`  createDb, organization mode    ${ns(median(b))} per call`);
  console.log(`  routing cost                   ${ns(median(b) - median(a))} per call (target < 5 µs)`);

  // 2. Connections held under the cap.
  let maxSeen = 0;
  let sampling = true;
  const watcher = new pg.Client({ connectionString: server.url });
  await watcher.connect();
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await watcher.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [`${prefix}app`],
      );
      maxSeen = Math.max(maxSeen, rows[0]?.n ?? 0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const requests = Array.from({ length: WITH_DB * 5 }, (_, n) => (n * 7919) % WITH_DB);
  const started = Date.now();
  await eachBounded(requests, 16, (i) =>
    router.createDb({ id: 'bench', role: 'ADMIN', orgSlug: `org-${i}` }).clinic.count(),
  );
  const elapsed = Date.now() - started;
  sampling = false;
  await sampler;
  await watcher.end();
  const stats = router.stats();
  console.log(`\nConnections (${requests.length} queries over ${WITH_DB} organizations, 16 at a time, cap ${CAP}):`);
  console.log(`  peak held (budget)             ${stats.peak}`);
  console.log(`  peak seen (pg_stat_activity)   ${maxSeen}`);
  console.log(`  without a cap (pool per org)   up to ${WITH_DB * readDbConfig({ DATABASE_URL: central }).poolMax}`);
  console.log(`  idle connections reclaimed     ${stats.reclaimed}`);
  console.log(`  throughput                     ${Math.round((requests.length / elapsed) * 1000)} queries/s`);
  await router.close();
  await single.close();
} finally {
  await server.stop();
}
process.exit(0);
