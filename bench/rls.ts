/**
 * `pnpm bench:rls [-- --rounds 12 --full]`: what row-level security costs per
 * read, and what each lever buys (issue 26 point 5). One database, the
 * contestants interleaved round by round, so only ratios inside this run
 * count: createDb without RLS (with and without prepared statements) against
 * createDb + RLS with the context transaction-local (`ACME_DB_RLS_CONTEXT=
 * transaction`, the old form) or cached per connection (the default), with
 * statements unnamed (`ACME_DB_PREPARED_STATEMENTS=0`, the old default) or
 * named (the default on a direct connection).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { SessionInput } from '@acme/auth';
import { readDbConfig } from '@acme/db/config';
import { APP_ROLE } from '@acme/db/rls';
import { DbRuntime } from '@acme/db/runtime';
import pg from 'pg';
import { startTestServer } from '../tests/support/postgres-server.ts';
import { createScratchDatabase, dropDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { appUrl, ensureAppLogin } from '../tooling/rls/app-role.ts';
import type { Contestant } from './contestant-kit.ts';
import { zenstackOps } from './contestants.ts';
import { FULL, loadDataset, QUICK } from './dataset.ts';

type ZenClient = ReturnType<Parameters<typeof zenstackOps>[1]>;

import { fmt, summarize } from './stats.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { rounds: { type: 'string', default: '12' }, full: { type: 'boolean' }, only: { type: 'string' } },
});
const sizes = values.full ? FULL : QUICK;
const ROUNDS = Number(values.rounds);
const PER_ROUND = 60;
const USER: SessionInput = { id: 'bench-user', role: 'USER' };
const clinicId = (i: number) => `c${String((i % sizes.clinics) + 1).padStart(6, '0')}`;

const READS: Record<string, (c: Contestant, i: number) => Promise<unknown>> = {
  findUnique: (c, i) => c.findUnique(USER, clinicId(i * 31)),
  count: (c, i) => c.count(USER, clinicId(i * 13)),
  clinicTreatments: (c, i) => c.clinicTreatments(USER, clinicId(i * 17)),
  nestedFindUnique: (c, i) => c.nestedFindUnique(USER, clinicId(i * 29)),
  filteredList: (c) => c.filteredList(USER),
  listPage: (c) => c.listPage(USER),
};

/** A runtime built with these environment switches (each is read once, when the runtime is built). */
function variant(name: string, env: Record<string, string | undefined>, config: Record<string, string>): Contestant {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const runtime = new DbRuntime(readDbConfig(config));
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
  const url = await createScratchDatabase(process.env.DATABASE_URL ?? (server?.url as string), 'acme_bench_rls');
  try {
    await deployMigrations(url, { quiet: true });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await loadDataset(pool, sizes);
    await pool.end();
    const login = { user: APP_ROLE, password: randomBytes(12).toString('hex') };
    await ensureAppLogin(url, login);
    const owner = { DATABASE_URL: url };
    const app = { DATABASE_URL: url, APP_DATABASE_URL: appUrl(url, login) };
    const unnamed = { ACME_DB_PREPARED_STATEMENTS: '0', ACME_DB_RLS_CONTEXT: undefined };
    const defaults = { ACME_DB_PREPARED_STATEMENTS: undefined, ACME_DB_RLS_CONTEXT: undefined };
    const local = { ACME_DB_RLS_CONTEXT: 'transaction' };
    const cs = [
      variant('createDb, unnamed', unnamed, owner),
      variant('createDb', defaults, owner),
      variant('RLS before (local, unnamed)', { ...unnamed, ...local }, app),
      variant('RLS local, named', { ...defaults, ...local }, app),
      variant('RLS cached, unnamed', unnamed, app),
      variant('RLS (cached, named)', defaults, app),
    ];
    const only = values.only?.split(',');
    const lines: string[] = [];
    for (const [name, work] of Object.entries(READS)) {
      if (only && !only.includes(name)) continue;
      const lat = new Map(cs.map((c) => [c.name, [] as number[]]));
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < cs.length; k++) {
          const c = cs[(round + k) % cs.length] as Contestant;
          for (let i = 0; i < PER_ROUND; i++) {
            const t = performance.now();
            await work(c, round * PER_ROUND + i);
            if (round > 0) lat.get(c.name)?.push(performance.now() - t);
          }
        }
      }
      const p50 = new Map([...lat].map(([k, v]) => [k, summarize(v).p50]));
      const unnamedBase = p50.get('createDb, unnamed') as number;
      const namedBase = p50.get('createDb') as number;
      const cells = [...p50].map(([k, v]) => {
        const over = k.includes('unnamed') ? unnamedBase : namedBase;
        return `${k} ${fmt(v)} (${(v / over).toFixed(2)}×)`;
      });
      lines.push(`${name.padEnd(17)} ${cells.join(' | ')}`);
      console.log(lines.at(-1));
    }
    for (const c of cs) await c.close();
    console.log('\n(ratios: unnamed variants ÷ createDb unnamed, the others ÷ createDb with its defaults)');
  } finally {
    await dropDatabase(url).catch(() => {});
    await server?.stop();
  }
}

await main();
process.exit(0);
