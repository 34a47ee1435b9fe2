/**
 * `pnpm bench [-- --quick]`: the policy-enforced client against the floor
 * (raw pg) and the alternatives, on one database, interleaved. Writes a table
 * to stdout and bench/results.json (`--quick`: bench/results.quick.json; `--only a,b`: bench/results.only.json).
 * Never part of the test suite.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SessionInput } from '@acme/auth';
import { createDb } from '@acme/db';
import { APP_ROLE } from '@acme/db/rls';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { appUrl, ensureAppLogin } from '../tooling/rls/app-role.ts';
import { mixedAtConcurrency } from './concurrency.ts';
import { drizzleOrm } from './contestant-drizzle.ts';
import {
  type Contestant,
  kysely,
  product,
  productPlain,
  productWithRls,
  rawPg,
  zenstackNoPolicies,
} from './contestants.ts';
import { FULL, loadDataset, QUICK } from './dataset.ts';
import { describeManyUsers, MANY_USERS_FULL, MANY_USERS_QUICK, manyUsers } from './many-users.ts';
import { prisma7 } from './prisma7/contestant.ts';
import { fmt, ratios, type Summary, summarize } from './stats.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { quick: { type: 'boolean' }, only: { type: 'string' } },
});
const quick = values.quick === true;
/** `--only create,update`: a focused run of those workloads (single client, no mixed load), written beside the full one. */
const only = values.only?.split(',').map((w) => w.trim());
const sizes = quick ? QUICK : FULL;
const ROUNDS = quick ? 5 : 10;
const PER_ROUND = quick ? 40 : 100;
/** Time budget per contestant and round, so one slow contestant cannot stretch the run without bound. */
const ROUND_BUDGET_MS = quick ? 1_000 : 3_000;

const USER: SessionInput = { id: 'bench-user', role: 'USER' };
const ADMIN: SessionInput = { id: 'bench-admin', role: 'ADMIN' };
const clinicId = (i: number) => `c${String((i % sizes.clinics) + 1).padStart(6, '0')}`;

async function assertSameResults(cs: Contestant[]) {
  const canon = (x: unknown) => JSON.stringify(x);
  const checks: [string, (c: Contestant) => Promise<unknown>][] = [
    ['findUnique', (c: Contestant) => c.findUnique(USER, clinicId(7))],
    ['listPage', (c: Contestant) => c.listPage(USER)],
    ['clinicTreatments', (c: Contestant) => c.clinicTreatments(USER, clinicId(42))],
    ['deniedWrite', (c: Contestant) => c.deniedWrite(USER, clinicId(1))],
    ['filteredList', (c: Contestant) => c.filteredList(USER)],
    ['count', (c: Contestant) => c.count(USER, clinicId(42))],
    ['nestedFindUnique', (c: Contestant) => c.nestedFindUnique(USER, clinicId(42))],
    // Writes a USER may not make: every contestant must refuse them too.
    ['deniedUpsert', (c: Contestant) => refusedCall(() => c.upsert(USER, 'denied-upsert', 0))],
    ['deniedSoftDelete', (c: Contestant) => refusedCall(() => c.softDelete(USER, patientId(0)))],
  ];
  for (const [label, run] of checks) {
    const [first, ...rest] = await Promise.all(cs.map(run));
    for (const [i, r] of rest.entries()) {
      if (canon(r) !== canon(first))
        throw new Error(`${cs[i + 1]?.name} returned different ${label} rows than ${cs[0]?.name}`);
    }
    if (label.startsWith('denied') && first !== true) throw new Error(`a USER write was not refused (${label})`);
  }
}

const refusedCall = (p: () => Promise<unknown>) =>
  p().then(
    () => false,
    () => true,
  );
const patientId = (i: number) => `p${String((i % sizes.patients) + 1).padStart(6, '0')}`;
/** Every soft delete takes a patient no call has deleted yet (patient 1 is kept for the USER check). */
let nextPatient = 1;

type Workload = (c: Contestant, i: number, ids: string[]) => Promise<unknown>;
const WORKLOADS: Record<string, Workload> = {
  findUnique: (c, i) => c.findUnique(USER, clinicId(i * 31)),
  listPage: (c) => c.listPage(USER),
  clinicTreatments: (c, i) => c.clinicTreatments(USER, clinicId(i * 17)),
  create: async (c, i, ids) => ids.push(await c.create(ADMIN, i)),
  update: (c, i, ids) => c.update(ADMIN, ids[i % ids.length] as string, i),
  deniedWrite: (c, i) => c.deniedWrite(USER, clinicId(i)),
  filteredList: (c) => c.filteredList(USER),
  count: (c, i) => c.count(USER, clinicId(i * 13)),
  nestedFindUnique: (c, i) => c.nestedFindUnique(USER, clinicId(i * 29)),
  // The first calls create, the rest update: a contestant's ids cycle through 20.
  upsert: (c, i) => c.upsert(ADMIN, `ups-${c.name.replace(/\W+/g, '')}-${i % 20}`, i),
  softDelete: (c) => c.softDelete(ADMIN, patientId(nextPatient++)),
  // Last: it grows the Treatment table by its rows.
  createMany: (c, i) => c.createMany(ADMIN, i),
};
/** Calls per contestant and round where one call is heavy. */
const PER_ROUND_OF: Record<string, number> = { createMany: quick ? 2 : 4 };

/** Not a contestant workload: distinct sessions through createDb, cache on against off (bench/many-users.ts). */
const MANY_USERS = 'manyUsers';

/** The workloads to run: update takes the ids create made, so it brings create along. */
function selected(): [string, Workload][] {
  if (!only) return Object.entries(WORKLOADS);
  const unknown = only.filter((w) => !(w in WORKLOADS) && w !== MANY_USERS);
  if (unknown.length > 0)
    throw new Error(`--only: no workload ${unknown.join(', ')} (${Object.keys(WORKLOADS).join(', ')})`);
  const wanted = new Set(only.includes('update') ? [...only, 'create'] : only);
  return Object.entries(WORKLOADS).filter(([w]) => wanted.has(w));
}

async function measure(cs: Contestant[]) {
  const results: Record<string, Record<string, Summary>> = {};
  const ids = new Map(cs.map((c) => [c.name, [] as string[]]));
  for (const [name, work] of selected()) {
    console.log(`[bench] measuring ${name}`);
    const lat = new Map(cs.map((c) => [c.name, [] as number[]]));
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved: every round runs each contestant once, in a rotating order, to cancel drift.
      for (let k = 0; k < cs.length; k++) {
        const c = cs[(round + k) % cs.length] as Contestant;
        const mine = ids.get(c.name) as string[];
        const started = performance.now();
        const calls = PER_ROUND_OF[name] ?? PER_ROUND;
        for (let i = 0; i < calls && performance.now() - started < ROUND_BUDGET_MS; i++) {
          const t = performance.now();
          await work(c, round * PER_ROUND + i, mine);
          if (round > 0) lat.get(c.name)?.push(performance.now() - t); // round 0 warms up
        }
      }
    }
    results[name] = Object.fromEntries([...lat].map(([k, v]) => [k, summarize(v)]));
  }
  return results;
}

function createDbCost(): number {
  const n = 200_000;
  for (let i = 0; i < 20_000; i++) createDb(USER);
  const t = performance.now();
  for (let i = 0; i < n; i++) createDb(USER);
  return ((performance.now() - t) * 1000) / n;
}

async function main() {
  const server = process.env.DATABASE_URL ? undefined : await startTestServer((l) => console.log(`[bench] ${l}`));
  const url = await createScratchDatabase(process.env.DATABASE_URL ?? (server?.url as string), 'acme_bench');
  process.env.DATABASE_URL = url;
  // The plain product contestant is the RLS-off one; the RLS contestant gets its URL explicitly.
  delete process.env.APP_DATABASE_URL;
  try {
    await deployMigrations(url, { quiet: true });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const t = performance.now();
    await loadDataset(pool, sizes);
    await pool.end();
    console.log(`[bench] loaded ${JSON.stringify(sizes)} in ${((performance.now() - t) / 1000).toFixed(1)}s`);

    const login = { user: APP_ROLE, password: randomBytes(12).toString('hex') };
    await ensureAppLogin(url, login);
    const cs = [
      rawPg(url),
      kysely(url),
      prisma7(url),
      drizzleOrm(url),
      zenstackNoPolicies(url),
      product(),
      productPlain(),
      productWithRls(url, appUrl(url, login)),
    ];
    await assertSameResults(cs);
    console.log('[bench] all contestants return the same rows and refuse the USER write');
    const results = await measure(cs);
    const concurrency: Record<string, Record<string, Summary>> = {};
    for (const level of only ? [] : [1, 16, 64]) {
      for (const c of cs) {
        const r = await mixedAtConcurrency(c, level, quick ? 2 : 5, clinicId);
        concurrency[`mixed x${level}`] = { ...concurrency[`mixed x${level}`], [c.name]: r };
      }
    }
    const createDbMicros = createDbCost();
    for (const c of cs) await c.close();
    const many =
      !only || only.includes(MANY_USERS)
        ? await manyUsers(url, quick ? MANY_USERS_QUICK : MANY_USERS_FULL, (l) => console.log(`[bench] ${l}`))
        : undefined;

    const floor = 'raw pg';
    const zen = 'ZenStack (no policies)';
    console.log(
      `\n${'workload'.padEnd(17)}${'contestant'.padEnd(24)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'ops/s'.padStart(8)}  p50 vs pg  vs zen  pg ops/s ÷ ops/s`,
    );
    const all = { ...results, ...concurrency };
    const ratiosByWorkload = Object.fromEntries(Object.entries(all).map(([w, byC]) => [w, ratios(byC, floor, zen)]));
    for (const [w, byC] of Object.entries(all)) {
      for (const [c, s] of Object.entries(byC)) {
        const r = ratiosByWorkload[w]?.[c];
        const n = (x: number | undefined) => (x ?? Number.NaN).toFixed(2);
        console.log(
          `${w.padEnd(17)}${c.padEnd(24)}${fmt(s.p50).padStart(9)}${fmt(s.p99).padStart(9)}${Math.round(s.opsPerSec).toString().padStart(8)}  ${n(r?.p50VsPg).padStart(9)}  ${n(r?.p50VsZenStack).padStart(5)}  ${n(r?.throughputVsPg).padStart(16)}`,
        );
      }
    }
    console.log(`\ncreateDb(): ${createDbMicros.toFixed(2)} µs per call`);
    if (many) for (const l of describeManyUsers(many)) console.log(l);
    // What row-level security adds to the product, per workload (p50 with RLS ÷ p50 without, minus 1).
    const rlsOverhead = Object.fromEntries(
      Object.entries(all).map(([w, byC]) => {
        const on = byC['createDb + RLS']?.p50 ?? Number.NaN;
        const off = byC['createDb (policies)']?.p50 ?? Number.NaN;
        return [w, Math.round((on / off - 1) * 1000) / 10];
      }),
    );
    console.log(`RLS on vs off (p50, %): ${JSON.stringify(rlsOverhead)}`);
    const out = {
      date: new Date().toISOString(),
      quick,
      sizes,
      node: process.version,
      results,
      concurrency,
      ratios: ratiosByWorkload,
      rlsOverheadPercent: rlsOverhead,
      createDbMicros,
      manyUsers: many,
    };
    // The full run's file is committed with RESULTS.md; a quick run (CI's smoke check) writes beside it.
    const file = only ? 'results.only.json' : quick ? 'results.quick.json' : 'results.json';
    writeFileSync(path.join(import.meta.dirname, file), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`[bench] wrote bench/${file}`);
  } catch (err) {
    // Shown before the database is dropped: dropping it ends the pools' connections noisily.
    console.error('[bench] failed:', err);
    throw err;
  } finally {
    await dropDatabase(url).catch(() => {});
    await server?.stop();
  }
}

await main();
process.exit(0);
