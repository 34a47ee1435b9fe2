/**
 * `node --import tsx bench/statements.ts`: statements (round trips) per call
 * for each workload, per contestant. Unlike latency on a shared machine this
 * does not move between runs, so it is the first evidence for where a write's
 * time goes. Counts every `query` the pg clients send (BEGIN and COMMIT too).
 */
import type { SessionInput } from '@acme/auth';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { drizzleOrm } from './contestant-drizzle.ts';
import type { Contestant } from './contestant-kit.ts';
import { kysely, product, productPlain, rawPg, zenstackNoPolicies } from './contestants.ts';
import { loadDataset, QUICK } from './dataset.ts';
import { prisma7 } from './prisma7/contestant.ts';

const USER: SessionInput = { id: 'bench-user', role: 'USER' };
const ADMIN: SessionInput = { id: 'bench-admin', role: 'ADMIN' };
let patient = 100;
const WORKLOADS: Record<string, (c: Contestant, id: string) => Promise<unknown>> = {
  findUnique: (c) => c.findUnique(USER, 'c000007'),
  listPage: (c) => c.listPage(USER),
  clinicTreatments: (c) => c.clinicTreatments(USER, 'c000042'),
  filteredList: (c) => c.filteredList(USER),
  count: (c) => c.count(USER, 'c000042'),
  nestedFindUnique: (c) => c.nestedFindUnique(USER, 'c000042'),
  create: (c) => c.create(ADMIN, 1),
  update: (c, id) => c.update(ADMIN, id, 2),
  upsert: (c) => c.upsert(ADMIN, `st-ups-${c.name.replace(/\W+/g, '')}`, 3),
  softDelete: (c) => c.softDelete(ADMIN, `p${String(patient++).padStart(6, '0')}`),
  createMany: (c) => c.createMany(ADMIN, 4),
  deniedWrite: (c) => c.deniedWrite(USER, 'c000001'),
};

let count = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  count += 1;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const server = process.env.DATABASE_URL ? undefined : await startTestServer(() => {});
const url = await createScratchDatabase(process.env.DATABASE_URL ?? (server?.url as string), 'acme_statements');
process.env.DATABASE_URL = url;
delete process.env.APP_DATABASE_URL;
try {
  await deployMigrations(url, { quiet: true });
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await loadDataset(pool, QUICK);
  await pool.end();
  const cs = [
    rawPg(url),
    kysely(url),
    prisma7(url),
    drizzleOrm(url),
    zenstackNoPolicies(url),
    productPlain(),
    product(),
  ];
  const rows: Record<string, Record<string, number>> = {};
  for (const c of cs) {
    const id = await c.create(ADMIN, 0);
    for (const [name, work] of Object.entries(WORKLOADS)) {
      await work(c, id); // warm: first-use work (pool connect, lookups) is not per call
      count = 0;
      await work(c, id);
      rows[name] = { ...rows[name], [c.name]: count };
    }
  }
  for (const c of cs) await c.close();
  console.log(`| workload | ${cs.map((c) => c.name).join(' | ')} |`);
  console.log(`| --- | ${cs.map(() => '---').join(' | ')} |`);
  for (const [w, byC] of Object.entries(rows)) console.log(`| ${w} | ${cs.map((c) => byC[c.name]).join(' | ')} |`);
} finally {
  await dropDatabase(url).catch(() => {});
  await server?.stop();
}
process.exit(0);
