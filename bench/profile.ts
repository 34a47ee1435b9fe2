/**
 * `pnpm bench:profile [-- --workload create --seconds 5]`: where the time of
 * one workload goes, for the product (`createDb`) and ZenStack without
 * policies, from a V8 CPU profile taken in-process. Prints self time by
 * package (ours, ZenStack ORM, the policy plugin, Kysely, pg, Node) and the
 * hottest functions, so a gap can be placed inside or outside our code.
 */
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import type { SessionInput } from '@acme/auth';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import type { Contestant } from './contestant-kit.ts';
import { product, productPlain, zenstackNoPolicies } from './contestants.ts';
import { loadDataset, QUICK } from './dataset.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { workload: { type: 'string', default: 'create' }, seconds: { type: 'string', default: '5' } },
});
const USER: SessionInput = { id: 'bench-user', role: 'USER' };
const ADMIN: SessionInput = { id: 'bench-admin', role: 'ADMIN' };
const clinicId = (i: number) => `c${String((i % QUICK.clinics) + 1).padStart(6, '0')}`;

const WORKLOADS: Record<string, (c: Contestant, i: number, id: string) => Promise<unknown>> = {
  findUnique: (c, i) => c.findUnique(USER, clinicId(i)),
  clinicTreatments: (c, i) => c.clinicTreatments(USER, clinicId(i)),
  listPage: (c) => c.listPage(USER),
  create: (c, i) => c.create(ADMIN, i),
  update: (c, i, id) => c.update(ADMIN, id, i),
  deniedWrite: (c, i) => c.deniedWrite(USER, clinicId(i)),
  filteredList: (c) => c.filteredList(USER),
  count: (c, i) => c.count(USER, clinicId(i)),
  nestedFindUnique: (c, i) => c.nestedFindUnique(USER, clinicId(i)),
  upsert: (c, i) => c.upsert(ADMIN, `prof-ups-${i % 20}`, i),
  createMany: (c, i) => c.createMany(ADMIN, i),
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const BUCKETS: [string, RegExp][] = [
  ['@acme/db (src/)', /\/main\/src\/|\/src\/(audit|client|guard|soft-delete|fast-path|rules|policy-folding|runtime)/],
  ['plugin-policy', /plugin-policy/],
  ['plugin-soft-delete', /plugin-soft-delete/],
  ['ZenStack ORM', /@zenstackhq\+orm|@zenstackhq\/orm/],
  ['Kysely', /kysely/],
  ['pg / pg-protocol', /\/pg(-protocol|-pool|-types)?[@/]/],
  ['zod / decimal.js', /zod|decimal\.js/],
  ['node internals', /^node:|^$/],
];
const bucketOf = (url: string) => BUCKETS.find(([, re]) => re.test(url))?.[0] ?? 'other';

async function profileOne(c: Contestant, work: (i: number) => Promise<unknown>, seconds: number) {
  for (let i = 0; i < 200; i++) await work(i); // warm up the JIT and the pool
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  let ops = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) await work(1_000 + ops++);
  const { profile } = (await session.post('Profiler.stop')) as unknown as {
    profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };
  };
  session.disconnect();

  const totalHits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = wallMs / Math.max(totalHits, 1);
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const idle = functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)';
    const bucket = idle ? functionName : bucketOf(url);
    byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + hits);
    const where = url
      .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
      .replace(/^file:\/\/.*\/main\//, '');
    const key = `${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  const perOp = (hits: number) => `${((hits * msPerHit * 1000) / ops).toFixed(0).padStart(6)} µs/op`;
  console.log(
    `\n## ${c.name}: ${ops} ops in ${wallMs.toFixed(0)} ms (${((wallMs * 1000) / ops).toFixed(0)} µs/op wall)`,
  );
  for (const [bucket, hits] of [...byBucket].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${bucket.padEnd(22)} ${perOp(hits)}  ${((100 * hits) / totalHits).toFixed(1).padStart(5)} %`);
  }
  console.log('  hottest functions (self time):');
  const top = [...byFunction].filter(([k]) => !k.startsWith('(')).sort((a, b) => b[1] - a[1]);
  for (const [fn, hits] of top.slice(0, 12)) console.log(`    ${perOp(hits)}  ${fn}`);
}

async function main() {
  const workload = values.workload as string;
  const run = WORKLOADS[workload];
  if (!run) throw new Error(`--workload must be one of ${Object.keys(WORKLOADS).join(', ')}`);
  const server = process.env.DATABASE_URL ? undefined : await startTestServer(() => {});
  const url = await createScratchDatabase(process.env.DATABASE_URL ?? (server?.url as string), 'acme_profile');
  process.env.DATABASE_URL = url;
  try {
    await deployMigrations(url, { quiet: true });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await loadDataset(pool, QUICK);
    await pool.end();
    console.log(`# CPU profile of "${workload}" (${values.seconds} s each, quick dataset)`);
    for (const c of [zenstackNoPolicies(url), productPlain(), product()]) {
      const target = await c.create(ADMIN, -1);
      await profileOne(c, (i) => run(c, i, target), Number(values.seconds));
      await c.close();
    }
  } finally {
    await dropDatabase(url).catch(() => {});
    await server?.stop();
  }
}

await main();
process.exit(0);
