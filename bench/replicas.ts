/**
 * `pnpm bench:replicas [-- --quick]`: the mixed workload (bench/concurrency.ts)
 * through `createDb` with row-level security, on a primary alone against the
 * same primary with one streaming standby taking the reads, in one run,
 * interleaved round by round. Both servers run on this machine, so the
 * standby shares its cores: the numbers show the router's cost and the
 * reads' move, not the capacity a separate replica host would add.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { readDbConfig } from '@acme/db/config';
import { DbRuntime } from '@acme/db/runtime';
import pg from 'pg';
import { startReplicatedCluster } from '../tests/support/standby.ts';
import { createScratchDatabase, databaseName, withClient, withDatabase } from '../tooling/database.ts';
import { deployMigrations } from '../tooling/migrate/migrate.ts';
import { appUrl, ensureAppLogin } from '../tooling/rls/app-role.ts';
import { mixedAtConcurrency } from './concurrency.ts';
import { type Contestant, zenstackOps } from './contestants.ts';
import { FULL, loadDataset, QUICK } from './dataset.ts';
import { fmt, summarize } from './stats.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { quick: { type: 'boolean' } },
});
const quick = values.quick === true;
const sizes = quick ? QUICK : FULL;
const ROUNDS = quick ? 2 : 4;
const SECONDS = quick ? 2 : 4;
const LEVELS = [1, 16, 64];
const clinicId = (i: number) => `c${String((i % sizes.clinics) + 1).padStart(6, '0')}`;

function contestant(name: string, env: Record<string, string>) {
  const runtime = new DbRuntime(readDbConfig(env));
  const c = zenstackOps(
    name,
    // biome-ignore lint/suspicious/noExplicitAny: the bench's ops are typed against the plain client
    (s) => runtime.createDb(s) as any,
    false,
    () => runtime.close(),
  );
  return { c, runtime };
}

async function waitForReplay(primaryUrl: string, standbyUrl: string) {
  const { rows } = await withClient(primaryUrl, (c) => c.query('SELECT pg_current_wal_insert_lsn()::text AS lsn'));
  for (;;) {
    const r = await withClient(standbyUrl, (c) =>
      c.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [rows[0].lsn]),
    );
    if (r.rows[0].done) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function main() {
  const cluster = await startReplicatedCluster();
  try {
    const url = await createScratchDatabase(cluster.primary.url, 'acme_bench_replicas');
    await deployMigrations(url, { quiet: true });
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    await loadDataset(pool, sizes);
    await pool.end();
    const login = { user: 'acme_app', password: randomBytes(12).toString('hex') };
    await ensureAppLogin(url, login);
    await waitForReplay(url, withDatabase(cluster.standby.url, databaseName(url)));
    const env = { DATABASE_URL: url, APP_DATABASE_URL: appUrl(url, login) };
    const primaryOnly = contestant('primary only', env);
    const withReplica = contestant('primary + 1 replica', {
      ...env,
      DATABASE_REPLICA_URLS: cluster.standby.serverUrl,
    });
    const cs: Contestant[] = [primaryOnly.c, withReplica.c];
    // Same rows either way (the router must not change an answer).
    await withReplica.c.findUnique({ id: 'bench-user', role: 'USER' }, clinicId(1)); // starts the monitor
    await new Promise((res) => setTimeout(res, 500));
    for (const check of [(c: Contestant) => c.listPage({ id: 'bench-user', role: 'USER' })]) {
      const [a, b] = await Promise.all(cs.map(check));
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('the replica returned different rows');
    }

    const latencies = new Map<string, Map<number, number[]>>();
    const opsPerSec = new Map<string, Map<number, number[]>>();
    for (const level of LEVELS) {
      for (let round = 0; round < ROUNDS; round++) {
        for (let k = 0; k < cs.length; k++) {
          const c = cs[(round + k) % cs.length] as Contestant;
          const r = await mixedAtConcurrency(c, level, SECONDS, clinicId);
          const lat = latencies.get(c.name) ?? new Map<number, number[]>();
          lat.set(level, [...(lat.get(level) ?? []), r.p50]);
          latencies.set(c.name, lat);
          const ops = opsPerSec.get(c.name) ?? new Map<number, number[]>();
          ops.set(level, [...(ops.get(level) ?? []), r.opsPerSec]);
          opsPerSec.set(c.name, ops);
        }
      }
    }
    const stats = withReplica.runtime.poolStats().servers ?? [];
    for (const c of cs) await c.close();

    console.log(`\n[bench:replicas] ${JSON.stringify(sizes)}, ${ROUNDS} rounds x ${SECONDS}s per level, interleaved`);
    console.log(
      `${'workload'.padEnd(12)}${'setup'.padEnd(22)}${'p50 (median of rounds)'.padStart(24)}${'ops/s'.padStart(10)}`,
    );
    const median = (xs: number[]) => summarize(xs).p50;
    for (const level of LEVELS) {
      for (const c of cs) {
        const p50 = median(latencies.get(c.name)?.get(level) ?? []);
        const ops = median(opsPerSec.get(c.name)?.get(level) ?? []);
        console.log(
          `${`mixed x${level}`.padEnd(12)}${c.name.padEnd(22)}${fmt(p50).padStart(24)}${Math.round(ops).toString().padStart(10)}`,
        );
      }
    }
    const share = (s: { reads: number }) => s.reads;
    const reads = stats.reduce((n, s) => n + share(s), 0);
    for (const s of stats) {
      console.log(
        `  ${s.server.padEnd(20)} reads ${s.reads} (${((100 * s.reads) / Math.max(1, reads)).toFixed(0)} %)${s.writes === undefined ? '' : `, writes ${s.writes}`}`,
      );
    }
  } finally {
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
