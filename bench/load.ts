/**
 * `pnpm bench:load [-- --clients 64 --seconds 5 --rounds 3 --full]`: the
 * bench's mixed workload (bench/concurrency.ts) at one concurrency level, raw
 * pg against createDb with its defaults and with statements unnamed, rounds
 * interleaved, so the ratio to raw pg is measured in one run. For where the
 * Node thread spends its time: `node --cpu-prof --cpu-prof-dir=/tmp/prof
 * --import tsx bench/load.ts -- --only createDb` (issue 26 point 6).
 */
import { parseArgs } from 'node:util';
import { readDbConfig } from '@acme/db/config';
import { DbRuntime } from '@acme/db/runtime';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { mixedAtConcurrency } from './concurrency.ts';
import type { Contestant } from './contestant-kit.ts';
import { rawPg, zenstackOps } from './contestants.ts';
import { FULL, loadDataset, QUICK } from './dataset.ts';

type ZenClient = ReturnType<Parameters<typeof zenstackOps>[1]>;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    clients: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    full: { type: 'boolean' },
    only: { type: 'string' },
  },
});
const sizes = values.full ? FULL : QUICK;
const clinicId = (i: number) => `c${String((i % sizes.clinics) + 1).padStart(6, '0')}`;

function product(name: string, env: Record<string, string | undefined>, url: string): Contestant {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const runtime = new DbRuntime(readDbConfig({ DATABASE_URL: url }));
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return zenstackOps(
    name,
    (s) => runtime.createDb(s) as unknown as ZenClient,
    false,
    () => runtime.close(),
  );
}

async function main() {
  const server = process.env.DATABASE_URL ? undefined : await startTestServer(() => {});
  const url = await createScratchDatabase(process.env.DATABASE_URL ?? (server?.url as string), 'acme_bench_load');
  try {
    await deployMigrations(url, { quiet: true });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await loadDataset(pool, sizes);
    await pool.end();
    const all = [
      rawPg(url),
      product('createDb', { ACME_DB_PREPARED_STATEMENTS: undefined }, url),
      product('createDb, unnamed', { ACME_DB_PREPARED_STATEMENTS: '0' }, url),
    ];
    const only = values.only?.split(',');
    const cs = all.filter((c) => !only || only.includes(c.name));
    const ops = new Map(cs.map((c) => [c.name, [] as number[]]));
    for (let round = 0; round < Number(values.rounds); round++) {
      for (let k = 0; k < cs.length; k++) {
        const c = cs[(round + k) % cs.length] as Contestant;
        const r = await mixedAtConcurrency(c, Number(values.clients), Number(values.seconds), clinicId);
        ops.get(c.name)?.push(r.opsPerSec);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    const floor = median(ops.get('raw pg') ?? []);
    for (const [name, xs] of ops) {
      const m = median(xs);
      console.log(
        `${name.padEnd(20)} ${Math.round(m)} ops/s  ÷ raw pg ${(m / floor).toFixed(2)}  (${xs.map(Math.round).join(', ')})`,
      );
    }
    for (const c of all) await c.close();
  } finally {
    await dropDatabase(url).catch(() => {});
    await server?.stop();
  }
}

await main();
process.exit(0);
