/**
 * `node --import tsx bench/many-users.ts [--users 10000] [--heap-sessions 100000]` (issue 26, point 2):
 * distinct USER sessions (one STAFF membership each, spread over the clinics), each reading a page of its
 * clinic's patients, with the query cache on and off, interleaved in rounds on one database (no RLS: the
 * cache's own cost). Prints ms per read for each, their ratio, the cache's hit rate, and the heap after
 * `--heap-sessions` distinct sessions have read (the LRUs bound it). Numbers belong here, not in tests.
 */
import { parseArgs } from 'node:util';
import { readDbConfig } from '../src/config.ts';
import { DbRuntime } from '../src/runtime.ts';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase, withClient } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { users: { type: 'string' }, 'heap-sessions': { type: 'string' }, clinics: { type: 'string' } },
});
const USERS = Number(values.users ?? 10_000);
const HEAP_SESSIONS = Number(values['heap-sessions'] ?? 100_000);
const CLINICS = Number(values.clinics ?? 200);

const server = process.env.DATABASE_URL ? undefined : await startTestServer();
const url = await createScratchDatabase(process.env.DATABASE_URL ?? (server?.url as string), 'acme_bench_users');
try {
  await deployMigrations(url, { quiet: true });
  await withClient(url, async (c) => {
    await c.query(`INSERT INTO "Clinic" (id, name, code, "updatedAt")
      SELECT 'c' || i, 'Clinic ' || i, 'C' || i, now() FROM generate_series(1, ${CLINICS}) i`);
    await c.query(`INSERT INTO "Patient" (id, name, email, "clinicId", "updatedAt")
      SELECT 'p' || i, 'Patient ' || i, 'p' || i || '@example.com', 'c' || (1 + i % ${CLINICS}), now()
      FROM generate_series(1, ${CLINICS * 30}) i`);
  });
  const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: url, DB_POOL_MAX: '4' }));
  const session = (u: number) => ({
    id: `user-${u}`,
    role: 'USER' as const,
    memberships: [{ clinicId: `c${1 + (u % CLINICS)}`, role: 'STAFF' as const }],
  });
  const read = (u: number, queryCache: boolean) =>
    runtime
      .createDb(session(u), { queryCache })
      .patient.findMany({ where: { clinicId: `c${1 + (u % CLINICS)}` }, orderBy: { name: 'asc' }, take: 20 });
  const time = { on: 0, off: 0 };
  const before = runtime.poolStats().queryCache;
  const ROUND = 500;
  for (let start = 0; start < USERS; start += ROUND) {
    for (const on of start % (2 * ROUND) === 0 ? [true, false] : [false, true]) {
      const t0 = performance.now();
      for (let u = start; u < Math.min(USERS, start + ROUND); u++) await read(u, on);
      time[on ? 'on' : 'off'] += performance.now() - t0;
    }
  }
  const after = runtime.poolStats().queryCache;
  const hits = after.hits - before.hits;
  const lookups = hits + after.misses - before.misses + after.uncacheable - before.uncacheable;
  console.log(
    `many users: ${USERS} distinct USER sessions, cache on ${(time.on / USERS).toFixed(3)} ms/read, off ${(time.off / USERS).toFixed(3)} ms/read, ratio ${(time.on / time.off).toFixed(2)}, hit rate ${((100 * hits) / lookups).toFixed(2)} % (${hits}/${lookups})`,
  );
  for (let u = USERS; u < USERS + HEAP_SESSIONS; u++) await read(u, true);
  globalThis.gc?.();
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    `many users: heap after ${USERS + HEAP_SESSIONS} distinct sessions ${heap.toFixed(1)} MiB${globalThis.gc ? '' : ' (no --expose-gc: before a collection)'}; cache ${JSON.stringify(runtime.poolStats().queryCache)}`,
  );
  await runtime.close();
} finally {
  await dropDatabase(url);
  await server?.stop();
}
