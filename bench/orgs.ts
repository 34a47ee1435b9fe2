/**
 * `pnpm bench:orgs [-- --quick] [--size saas] [--dbs N] [--caps 10,50,200] [--queries N]`: what organization
 * mode costs. Default size: 1,000 organizations registered, sessions spread over 200 (2 users each). `--size saas`
 * (issue 27): 10,000 registered, sessions over 1,000 active, 10,000 distinct users, 1,000 real databases.
 * 1. Routing: createDb(session) in organization mode against single-database createDb, on the same users,
 *    interleaved rounds; neither opens a connection. With each: the bound-client cache's hit rate.
 * 2. Heap: what the router holds per active organization once every session was served, and in total.
 * 3. Queries: point reads (findUnique by id) spread uniformly over the organizations that have a database,
 *    per cap (DB_MAX_CONNECTIONS_TOTAL): queries/s, p50/p99, reclaims, connections held (the budget's peak
 *    and pg_stat_activity sampled every few ms), and what opening one connection costs (a reclaim's price).
 * 4. `pgbouncer` (bench/orgs-pgbouncer.ts): the same reads through one PgBouncer in transaction mode.
 * 5. `status`, `deploy`, `deploy-pending` (bench/orgs-ops.ts): db:org:list, db:status -- --no-drift and
 *    db:migrate:deploy at this size (`--deploy-concurrency 4,16,32`).
 * `--parts` runs them in the order given. Never part of the test suite.
 */
import { parseArgs } from 'node:util';
import type { SessionInput } from '@acme/auth';
import { readDbConfig } from '@acme/db/config';
import { OrgRouter, readOrgConfig } from '@acme/db/orgs';
import { DbRuntime } from '@acme/db/runtime';
import pg from 'pg';
import { centralPlans } from './orgs-central.ts';
import { deployTimings, statusTimings } from './orgs-ops.ts';
import { pgbouncerReads } from './orgs-pgbouncer.ts';
import { pointReads } from './orgs-queries.ts';
import { heapUsed, median, orgsFixture, slugOf } from './orgs-setup.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean' },
    size: { type: 'string', default: 'default' },
    dbs: { type: 'string' },
    caps: { type: 'string' },
    queries: { type: 'string' },
    concurrency: { type: 'string', default: '32' },
    parts: { type: 'string', default: 'routing,queries,central' },
    'deploy-concurrency': { type: 'string', default: '4,16,32' },
    'pgbouncer-unbounded': { type: 'boolean' },
    'deploy-pending-orgs': { type: 'string' },
  },
});
const quick = values.quick === true;
const saas = values.size === 'saas';
if (!saas && values.size !== 'default') throw new Error(`--size is "default" or "saas", got ${values.size}`);
const REGISTERED = saas ? 10_000 : 1_000;
const ACTIVE = saas ? 1_000 : 200; // organizations the sessions are spread over
const USERS_PER_ORG = saas ? 10 : 2; // distinct users: ACTIVE × USERS_PER_ORG
const ROUNDS = quick ? 5 : 15;
const CALLS = quick ? 20_000 : 100_000;
const WITH_DB = Number(values.dbs ?? (saas ? 1_000 : quick ? 20 : 60)); // organizations with a real database
const CAPS = (values.caps ?? (saas ? '10,50,200' : '10')).split(',').map(Number);
const QUERIES = Number(values.queries ?? (saas ? 5_000 : WITH_DB * 5));
const CONCURRENCY = Number(values.concurrency);
// In the order given (a part may repeat, e.g. `status` before and after a change).
const PART_LIST = (values.parts ?? '').split(',');
const PARTS = new Set(PART_LIST);
const DEPLOY_CONCURRENCY = (values['deploy-concurrency'] ?? '').split(',').map(Number);
const UNBOUNDED = values['pgbouncer-unbounded'] === true;
const NEEDS_DBS = ['queries', 'pgbouncer', 'deploy', 'deploy-pending', 'status'].some((p) => PARTS.has(p));

console.log(
  `bench:orgs: ${REGISTERED} registered, ${ACTIVE} active, ${ACTIVE * USERS_PER_ORG} distinct users, ${WITH_DB} databases`,
);
// max_connections: the largest cap, or one connection per database when PgBouncer is measured without a limit.
const fx = await orgsFixture(REGISTERED, NEEDS_DBS ? WITH_DB : 0, Math.max(...CAPS, UNBOUNDED ? WITH_DB + 20 : 0) + 50);
const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const rate = (s: { hits: number; misses: number }) =>
  `${((100 * s.hits) / Math.max(1, s.hits + s.misses)).toFixed(1)} %`;
try {
  let statusRun = 0;
  for (const part of PART_LIST) {
    const load = (await import('node:os')).loadavg().map((l) => l.toFixed(2));
    console.log(`\n[${new Date().toISOString()}] part ${part}, load average ${load.join(' ')}`);
    if (part === 'routing') await routing();
    else if (part === 'queries') await queries();
    else if (part === 'central') await centralPlans(fx.central, REGISTERED, ACTIVE * USERS_PER_ORG);
    else if (part === 'pgbouncer') {
      const opts = { caps: CAPS, queries: QUERIES, withDb: WITH_DB, concurrency: CONCURRENCY, unbounded: UNBOUNDED };
      await pgbouncerReads(fx, opts);
    } else if (part === 'status') await statusTimings(fx, REGISTERED, WITH_DB, `run ${++statusRun}`);
    else if (part === 'deploy') await deployTimings(fx, WITH_DB, DEPLOY_CONCURRENCY, false);
    else if (part === 'deploy-pending') {
      await deployTimings(fx, Number(values['deploy-pending-orgs'] ?? WITH_DB), DEPLOY_CONCURRENCY, true);
    } else throw new Error(`unknown part ${part}`);
  }
} finally {
  await fx.stop();
}
process.exit(0);

async function routing() {
  // 1. Routing cost per createDb call.
  const heapBefore = heapUsed();
  const single = new DbRuntime(
    readDbConfig({ DATABASE_URL: fx.templateUrl, APP_DATABASE_URL: fx.appUrlOf(fx.templateUrl) }),
  );
  const router = new OrgRouter(readOrgConfig(fx.env(CAPS[0] as number)));
  await router.directory.refresh();
  const plain: SessionInput[] = [];
  const routed: SessionInput[] = [];
  for (let u = 0; u < USERS_PER_ORG; u++) {
    for (let o = 0; o < ACTIVE; o++) {
      const session = { id: `user-${o}-${u}`, role: 'USER' as const };
      plain.push(session);
      routed.push({ ...session, orgSlug: slugOf((o * (REGISTERED / ACTIVE)) % REGISTERED) });
    }
  }
  const time = (fn: (s: SessionInput) => unknown, sessions: SessionInput[]) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) fn(sessions[i % sessions.length] as SessionInput);
    return Number(process.hrtime.bigint() - start) / CALLS;
  };
  const createSingle = (s: SessionInput) => single.createDb(s);
  const createRouted = (s: SessionInput) => router.createDb(s);
  // Warm: every session bound once (or as many as the caches keep).
  for (const s of plain) createSingle(s);
  const heapSingle = heapUsed();
  for (const s of routed) createRouted(s);
  const heapRouter = heapUsed();
  const singleAt = single.boundStats();
  const routedAt = router.boundStats();
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(time(createSingle, plain));
    b.push(time(createRouted, routed));
  }
  const hitsOf = (now: { hits: number; misses: number }, at: { hits: number; misses: number }) => ({
    hits: now.hits - at.hits,
    misses: now.misses - at.misses,
  });
  const sHits = hitsOf(single.boundStats(), singleAt);
  const rStats = router.boundStats();
  const rHits = hitsOf(rStats, routedAt);
  console.log(`\nRouting (${ROUNDS} rounds of ${CALLS} calls, medians):`);
  console.log(`  createDb, single database      ${us(median(a))} per call, bound-client hit rate ${rate(sHits)}`);
  console.log(`  createDb, organization mode    ${us(median(b))} per call, bound-client hit rate ${rate(rHits)}`);
  console.log(`  routing cost                   ${us(median(b) - median(a))} per call (target < 5 µs)`);
  console.log(`  ROUTING ${JSON.stringify({ single: median(a), org: median(b), singleRounds: a, orgRounds: b })}`);

  // 2. Heap the two hold after serving every session (both runtimes' bound clients included).
  const heap = heapRouter - heapSingle;
  const users = ACTIVE * USERS_PER_ORG;
  console.log(`\nHeap (after every session was served once, full GC):`);
  console.log(
    `  single runtime                 ${mb(heapSingle - heapBefore)} (${kb((heapSingle - heapBefore) / users)} per user)`,
  );
  console.log(`  organization router            ${mb(heap)} in total`);
  console.log(`  per active organization        ${kb(heap / ACTIVE)} (${rStats.runtimes} organization entries held)`);
  console.log(
    `  HEAP ${JSON.stringify({ single: heapSingle - heapBefore, router: heap, perOrg: heap / ACTIVE, entries: rStats.runtimes })}`,
  );
  await single.close();
  await router.close();
}

async function queries() {
  // 3. Point reads over the organizations with a database, per cap.
  const connectCost: number[] = [];
  for (let i = 0; i < 30; i++) {
    const started = process.hrtime.bigint();
    const c = new pg.Client({ connectionString: fx.appUrlOf(fx.templateUrl) });
    await c.connect();
    await c.query('SELECT 1');
    connectCost.push(Number(process.hrtime.bigint() - started) / 1e6);
    await c.end();
  }
  console.log(`\nA new connection (connect, authenticate, one query): ${median(connectCost).toFixed(2)} ms median`);
  for (const cap of CAPS) {
    await pointReads(fx, { label: 'direct', cap, queries: QUERIES, withDb: WITH_DB, concurrency: CONCURRENCY });
  }
}
