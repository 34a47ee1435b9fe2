/**
 * `pnpm bench:scale [-- --quick]`: issue 14's scale target — point reads stay
 * flat from 10k to 1M clinics, the list page grows with its page size, not
 * with the table. One database grown step by step (10k → 100k → 1M clinics,
 * 20 links each, 500 treatments); at each size createDb (fast paths on),
 * createDb with fast paths off and raw pg, interleaved, random ids over the
 * whole table. At the largest size, EXPLAIN (ANALYZE, BUFFERS) of what each
 * sends, and the list pages again without the Clinic (name, id) index that
 * migration 20261202065630_clinic_name_index creates, to show what it buys. Writes a table to stdout and bench/scale.json (`--quick`:
 * bench/scale.quick.json). Never part of the test suite.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SessionInput } from '@acme/auth';
import { readDbConfig } from '@acme/db/config';
import { DbRuntime } from '@acme/db/runtime';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { newPool } from './contestant-kit.ts';
import { clinicId, growClinics, loadFirst, randomClinics, settle, tableSizes } from './scale-data.ts';
import { explainCalls, type Plan } from './scale-explain.ts';
import { type Cell, cell, markdownTable } from './scale-report.ts';
import { fmt } from './stats.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { quick: { type: 'boolean' } },
});
const quick = values.quick === true;
const SIZES = quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
const LINKS_PER_CLINIC = 20; // as bench/dataset.ts's FULL (200,000 links over 10,000 clinics)
const PAGE_SIZES = [10, 50, 200];
const ROUNDS = quick ? 3 : 6; // round 0 warms up and is not recorded
const PER_ROUND = quick ? 10 : 40;
/** Per contestant and round, so a slow path cannot stretch the run without bound (at least one call). */
const ROUND_BUDGET_MS = quick ? 150 : 2_500;
/** The product's statement_timeout (30 s); the quick run's is short so the plain path's page cannot stall it. */
const STATEMENT_TIMEOUT_MS = quick ? 2_000 : 30_000;
/** EXPLAIN ANALYZE of a plain-path page at 1M would run for an hour: past this, the plan without timings. */
const EXPLAIN_MS = quick ? 1_000 : 60_000;
const UNINDEXED = 'largest without the index on Clinic (name, id)';
const USER: SessionInput = { id: 'bench-user', role: 'USER' };
const ORDER = [{ name: 'asc' as const }, { id: 'asc' as const }];

interface Ops {
  name: string;
  findUnique(id: string): Promise<unknown>;
  listPage(take: number): Promise<PageShape[]>;
  count(clinicId: string): Promise<number>;
}
interface PageShape {
  id: string;
  treatmentsByClinic: { id: string; treatment: { id: string } }[];
}

function orm(name: string, runtime: DbRuntime, fastPaths: boolean): Ops {
  const db = () => runtime.createDb(USER, { fastPaths });
  return {
    name,
    findUnique: (id) => db().clinic.findUnique({ where: { id }, select: { id: true, name: true, code: true } }),
    listPage: (take) =>
      db().clinic.findMany({
        take,
        include: { treatmentsByClinic: { include: { treatment: true } } },
        orderBy: ORDER,
      }) as Promise<PageShape[]>,
    count: (clinicId) => db().treatmentsByClinic.count({ where: { clinicId } }),
  };
}

/** The same queries by hand: the page first, then each clinic's links with their treatment, in one statement. */
function rawPg(pool: pg.Pool): Ops {
  return {
    name: 'raw pg',
    findUnique: async (id) =>
      (await pool.query('SELECT id, name, code FROM "Clinic" WHERE id = $1', [id])).rows[0] ?? null,
    async listPage(take) {
      const { rows } = await pool.query(
        `SELECT c.*, COALESCE(l.links, '[]') AS "treatmentsByClinic"
         FROM (SELECT * FROM "Clinic" ORDER BY name, id LIMIT $1) c
         LEFT JOIN LATERAL (
           SELECT json_agg(to_jsonb(tbc) || jsonb_build_object('treatment', to_jsonb(t))) AS links
           FROM "TreatmentsByClinic" tbc JOIN "Treatment" t ON t.id = tbc."treatmentId" WHERE tbc."clinicId" = c.id
         ) l ON true ORDER BY c.name, c.id`,
        [take],
      );
      return rows;
    },
    count: async (clinicId) =>
      (await pool.query('SELECT count(*)::int AS n FROM "TreatmentsByClinic" WHERE "clinicId" = $1', [clinicId]))
        .rows[0].n,
  };
}

/** Page order, and each clinic's link and treatment ids (a page's links have no order of their own). */
const page = (rows: PageShape[] | undefined) => rows && pageKey(rows);
const pageKey = (rows: PageShape[]) =>
  JSON.stringify(rows.map((c) => [c.id, c.treatmentsByClinic.map((l) => `${l.id}:${l.treatment.id}`).sort()]));

/**
 * Same rows from every contestant. The plain path's page can outlast
 * statement_timeout: that contestant's page is then left out from here on.
 */
async function assertSame(cs: Ops[], size: number) {
  const checks: [string, (c: Ops) => Promise<unknown>][] = [
    ['findUnique', (c) => c.findUnique(clinicId(size))],
    ['listPage', async (c) => (skipped(c, 10) ? undefined : page(await timed(c, 10, () => c.listPage(10))))],
    ['count', (c) => c.count(clinicId(Math.ceil(size / 2)))],
  ];
  for (const [label, run] of checks) {
    const answers = (await Promise.all(cs.map(run))).map((r, i) => [cs[i] as Ops, r] as const);
    const [first, ...rest] = answers.filter(([c, r]) => r !== undefined || !skipped(c, 10));
    if (first?.[1] === null || first?.[1] === undefined) throw new Error(`${label} found nothing`);
    for (const [c, r] of rest)
      if (JSON.stringify(r) !== JSON.stringify(first[1])) throw new Error(`${c.name} differs on ${label}`);
  }
}

/**
 * Contestant → the smallest page size whose call hit statement_timeout at
 * this table size (larger pages are not tried). Cleared per size: the plain
 * path's plan changes with the table (at 1M a parallel sort runs first).
 */
const timedOut = new Map<string, number>();
const skipped = (c: Ops, take: number) => (timedOut.get(c.name) ?? Number.POSITIVE_INFINITY) <= take;
async function timed<T>(c: Ops, take: number, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (!JSON.stringify(err, Object.getOwnPropertyNames(err)).includes('57014')) throw err;
    timedOut.set(c.name, Math.min(take, timedOut.get(c.name) ?? take));
    console.log(`[bench:scale] ${c.name}: listPage ${take} hit statement_timeout (${STATEMENT_TIMEOUT_MS} ms)`);
    return undefined;
  }
}

async function measure(cs: Ops[], size: number, only: (workload: string) => boolean = () => true) {
  const next = randomClinics(size, size);
  type Work = readonly [string, number | undefined, (c: Ops) => Promise<unknown>];
  const workloads: Work[] = [
    ['findUnique', undefined, (c) => c.findUnique(next())],
    ...PAGE_SIZES.map(
      (take) => [`listPage ${take}`, take, (c: Ops) => timed(c, take, () => c.listPage(take))] as const,
    ),
    ['count', undefined, (c) => c.count(next())],
  ];
  const out: Record<string, Record<string, Cell>> = {};
  for (const [name, take, work] of workloads.filter(([name]) => only(name))) {
    const lat = new Map(cs.map((c) => [c.name, [] as number[]]));
    const isOut = (c: Ops) => take !== undefined && skipped(c, take);
    const before = new Set(cs.filter((c) => take !== undefined && skipped(c, take - 1)).map((c) => c.name));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < cs.length; k++) {
        const c = cs[(round + k) % cs.length] as Ops; // rotating order cancels drift
        const started = performance.now();
        for (let i = 0; i < PER_ROUND && (i === 0 || performance.now() - started < ROUND_BUDGET_MS); i++) {
          if (isOut(c)) break;
          const t = performance.now();
          await work(c);
          if (round > 0 && !isOut(c)) lat.get(c.name)?.push(performance.now() - t);
        }
      }
    }
    out[name] = Object.fromEntries(
      cs.map((c) => [
        c.name,
        isOut(c)
          ? { ...cell([]), timedOutMs: STATEMENT_TIMEOUT_MS, ...(before.has(c.name) ? { notRun: true } : {}) }
          : cell(lat.get(c.name) ?? []),
      ]),
    );
    const shown = (c: Ops) => (isOut(c) ? 'timed out' : fmt(out[name]?.[c.name]?.p50 ?? 0));
    console.log(`[bench:scale] ${size} ${name}: ${cs.map((c) => `${c.name} ${shown(c)}`).join(', ')}`);
  }
  return out;
}

/** What EXPLAIN shows at the largest size: the point read and the 50-row page, on every contestant. */
function explained(cs: Ops[], id: string) {
  const calls: [string, (c: Ops) => Promise<unknown>][] = [
    ['findUnique', (c) => c.findUnique(id)],
    ['listPage 50', (c) => c.listPage(50)],
  ];
  return calls.flatMap(([label, run]) => cs.map((c) => [`${label} · ${c.name}`, () => run(c)] as const));
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main() {
  const loadBefore = load();
  console.log(`[bench:scale] load average before: ${loadBefore}`);
  const server = await startTestServer((l) => console.log(`[bench:scale] ${l}`));
  const url = await createScratchDatabase(server.url, 'acme_bench_scale');
  const runtime = new DbRuntime(
    readDbConfig({ DATABASE_URL: url, DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) }),
  );
  const raw = newPool(url);
  const loader = new pg.Pool({ connectionString: url, max: 1 });
  // Dropping the database ends every connection left (57P01); an idle client's error must not crash the exit.
  for (const p of [raw, loader]) p.on('error', () => {});
  try {
    await deployMigrations(url, { quiet: true });
    const cs = [orm('createDb', runtime, true), orm('createDb, fast paths off', runtime, false), rawPg(raw)];
    const results: Record<string, Record<string, Record<string, Cell>>> = {};
    const loads: Record<string, { seconds: number; links: number; size: string }> = {};
    let plans: Plan[] = [];
    let have = 0;
    for (const size of SIZES) {
      const t = performance.now();
      if (have === 0) await loadFirst(loader, size, LINKS_PER_CLINIC);
      else await growClinics(loader, have, size, LINKS_PER_CLINIC, (l) => console.log(`[bench:scale] ${l}`));
      await settle(loader);
      have = size;
      const sizes = await tableSizes(loader);
      if (sizes.clinics !== size) throw new Error(`expected ${size} clinics, found ${sizes.clinics}`);
      const seconds = Math.round((performance.now() - t) / 100) / 10;
      loads[size] = { seconds, links: sizes.links, size: sizes.bytes };
      console.log(`[bench:scale] ${size} clinics, ${sizes.links} links (${sizes.bytes}): loaded in ${seconds}s`);
      timedOut.clear();
      await assertSame(cs, size);
      results[size] = await measure(cs, size);
      if (size === SIZES.at(-1))
        plans = await explainCalls(url, explained(cs, clinicId(Math.ceil(size / 3))), EXPLAIN_MS);
    }
    // What the migration's index buys: without it the page's first statement sorts the whole table by name.
    // Dropped only in this scratch database, after every size was measured with it.
    await loader.query(`DROP INDEX "Clinic_name_id_idx"; ANALYZE "Clinic"`);
    timedOut.clear();
    results[UNINDEXED] = await measure(cs, have, (w) => w.startsWith('listPage'));
    const fast = cs.filter((c) => !skipped(c, 50));
    const without = explained(fast, clinicId(1)).filter(([label]) => label.startsWith('listPage'));
    plans.push(
      ...(await explainCalls(url, without, EXPLAIN_MS)).map((p) => ({ ...p, label: `${p.label}, ${UNINDEXED}` })),
    );
    const loadAfter = load();
    report(results, cs, loads, plans, loadBefore, loadAfter);
  } finally {
    await runtime.close().catch(() => {});
    await raw.end().catch(() => {});
    await loader.end().catch(() => {});
    await dropDatabase(url).catch(() => {});
    await server.stop();
  }
}

function report(
  results: Record<string, Record<string, Record<string, Cell>>>,
  cs: Ops[],
  loads: Record<string, unknown>,
  plans: Plan[],
  loadBefore: string,
  loadAfter: string,
) {
  const table = markdownTable(
    results,
    cs.map((c) => c.name),
    String(SIZES[0]),
    String(SIZES.at(-1)),
    UNINDEXED,
  );
  console.log(`\n[bench:scale] ${LINKS_PER_CLINIC} links per clinic, ${ROUNDS - 1} rounds, interleaved\n`);
  console.log(table);
  for (const p of plans)
    console.log(`\nEXPLAIN (ANALYZE, BUFFERS) ${p.label}, statement ${p.index}:\n${p.summary.join('\n')}`);
  console.log(`\n[bench:scale] load average before: ${loadBefore}, after: ${loadAfter}`);
  const out = {
    date: new Date().toISOString(),
    quick,
    node: process.version,
    linksPerClinic: LINKS_PER_CLINIC,
    rounds: ROUNDS - 1,
    loadAverage: { before: loadBefore, after: loadAfter },
    loads,
    results,
    plans,
  };
  // As bench/run.ts: the full run's file is committed, a quick (smoke) run writes beside it.
  const file = quick ? 'scale.quick.json' : 'scale.json';
  writeFileSync(path.join(import.meta.dirname, file), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`[bench:scale] wrote bench/${file}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error('[bench:scale] failed:', err);
    process.exit(1);
  },
);
