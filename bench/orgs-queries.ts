/**
 * bench:orgs's point reads: findUnique by id spread uniformly over the organizations that have a database, one
 * run per cap (DB_MAX_CONNECTIONS_TOTAL), directly or through a pooler (`env` points the organizations' URLs at
 * it). Reports queries/s, p50/p99, reclaims, connections held (the budget's peak and the server's own count,
 * pg_stat_activity sampled every few ms) and wrong answers (each clinic's code is its organization's slug).
 */
import { OrgRouter, readOrgConfig } from '@acme/db/orgs';
import { eachBounded } from '../tooling/orgs/each-bounded.ts';
import { CLINIC_ID, type OrgsFixture, percentile, slugOf, watchConnections } from './orgs-setup.ts';

export interface PointReadRun {
  label: string;
  cap: number;
  qps: number;
  p50: number;
  p99: number;
  reclaimed: number;
  peak: number;
  seen: number;
  wrong: number;
  errors: number;
}

export async function pointReads(
  fx: OrgsFixture,
  opts: { label: string; cap: number; queries: number; withDb: number; concurrency: number },
  env: Record<string, string> = {},
): Promise<PointReadRun> {
  const { cap, queries, withDb, concurrency } = opts;
  const r = new OrgRouter(readOrgConfig({ ...fx.env(cap), ...env }));
  await r.directory.refresh();
  // What the server holds for the app login, whichever way it connects (directly or through a pooler).
  const watch = watchConnections(fx.url, fx.login.user, fx.prefix);
  // A fixed pseudo-random order: every organization is visited, none twice in a row.
  const order = Array.from({ length: queries }, (_, n) => (n * 7919) % withDb);
  const latencies: number[] = [];
  const wrong: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const started = Date.now();
  await eachBounded(order, concurrency, async (i) => {
    const t0 = process.hrtime.bigint();
    try {
      const row = await r
        .createDb({ id: `user-${i}`, role: 'ADMIN', orgSlug: slugOf(i) })
        .clinic.findUnique({ where: { id: CLINIC_ID }, select: { code: true } });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (row?.code !== slugOf(i)) wrong.push(i);
    } catch (err) {
      errors++;
      firstError ??= err;
    }
  });
  const elapsed = Date.now() - started;
  const seen = await watch.stop();
  const stats = r.stats();
  await r.close();
  const run: PointReadRun = {
    label: opts.label,
    cap,
    qps: (queries / elapsed) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    reclaimed: stats.reclaimed,
    peak: stats.peak,
    seen,
    wrong: wrong.length,
    errors,
  };
  console.log(
    `\nPoint reads, ${opts.label}, cap ${cap} (${queries} over ${withDb} organizations, ${concurrency} at a time):`,
  );
  console.log(`  throughput                     ${Math.round(run.qps)} queries/s`);
  console.log(`  latency p50 / p99              ${run.p50?.toFixed(2)} / ${run.p99?.toFixed(2)} ms`);
  console.log(
    `  idle connections reclaimed     ${stats.reclaimed} (${(stats.reclaimed / queries).toFixed(2)} per query)`,
  );
  console.log(`  peak held: budget / server     ${stats.peak} / ${seen} (cap ${cap})`);
  console.log(`  answers from another org       ${wrong.length}; errors ${errors}`);
  if (firstError) console.log(`  first error                    ${(firstError as Error).message.split('\n')[0]}`);
  console.log(`  QUERIES ${JSON.stringify(run)}`);
  return run;
}
