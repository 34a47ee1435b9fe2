/**
 * bench:orgs `--parts status,deploy`: the operations commands at this size, run as an operator runs them
 * (`scripts/db.ts` in a child process, wall time from spawn to exit):
 * - `db:org:list` and `db:status -- --no-drift` with every registered organization (most have no database:
 *   found by one pg_database listing, never connected to; the exit code of db:status is 1 for them);
 * - `db:migrate:deploy` over the organizations with a database at each concurrency, first with nothing pending
 *   (Prisma is skipped, rls.sql is applied), then with one pending migration in each (one Prisma run each).
 * The organizations without a database are archived for the deploys (deploy skips archived ones) and made
 * active again afterwards.
 */
import { withClient, withDatabase } from '../tooling/database.ts';
import { eachBounded } from '../tooling/orgs/each-bounded.ts';
import { runNode } from '../tooling/tool-env.ts';
import type { OrgsFixture } from './orgs-setup.ts';

/** The newest committed migration: one statement, so undoing it in a copy is exact. */
const LAST = { name: '20261202065630_clinic_name_index', undo: 'DROP INDEX "Clinic_name_id_idx"' };

async function command(fx: OrgsFixture, args: string[]) {
  const started = Date.now();
  const res = await runNode(['--import', 'tsx', 'scripts/db.ts', ...args], {
    env: { ...(fx.env(10) as Record<string, string>), DATABASE_URL: fx.central },
    quiet: true,
  });
  const ms = Date.now() - started;
  const lines = res.stdout.split('\n');
  return { code: res.code, ms, lines, stderr: res.stderr };
}

export async function statusTimings(fx: OrgsFixture, registered: number, withDb: number, label: string) {
  console.log(`\nOperations, ${label} (${registered} registered, ${withDb} with a database):`);
  for (const args of [['org:list'], ['status', '--no-drift']]) {
    const r = await command(fx, args);
    const unreachable = r.lines.filter((l) => /unreachable/.test(l)).length;
    const noDb = r.lines.filter((l) => /no database /.test(l)).length;
    const name = `db:${args.join(' -- ')}`;
    console.log(
      `  ${name.padEnd(30)} ${(r.ms / 1000).toFixed(1)} s, exit ${r.code}, ${r.lines.length} lines, ${unreachable} unreachable, ${noDb} no database`,
    );
    console.log(`  OPS ${JSON.stringify({ label, command: name, ms: r.ms, code: r.code, unreachable, noDb })}`);
  }
}

async function setNoDbStatus(fx: OrgsFixture, withDb: number, status: 'archived' | 'active') {
  await withClient(fx.central, (c) =>
    c.query(`UPDATE "Organization" SET status = $1 WHERE substring(id from 2)::int >= $2`, [status, withDb]),
  );
}

/** `orgs`: the first N organizations with a database are deployed (a Prisma run costs seconds each). */
export async function deployTimings(fx: OrgsFixture, orgs: number, concurrencies: number[], pending: boolean) {
  const withDb = orgs;
  await setNoDbStatus(fx, withDb, 'archived');
  try {
    for (const c of concurrencies) {
      if (pending) {
        const undo = Date.now();
        await eachBounded(
          Array.from({ length: withDb }, (_, i) => i),
          4,
          (i) =>
            withClient(withDatabase(fx.url, `${fx.prefix}o${i}`), async (db) => {
              await db.query(LAST.undo);
              await db.query('DELETE FROM _prisma_migrations WHERE migration_name = $1', [LAST.name]);
            }),
        );
        console.log(`  (${LAST.name} undone in ${withDb} databases in ${((Date.now() - undo) / 1000).toFixed(1)} s)`);
      }
      const r = await command(fx, ['deploy', '--concurrency', String(c)]);
      const ok = r.lines.filter((l) => /: ok: /.test(l)).length;
      const applied = r.lines.filter((l) => /: ok: 1 applied/.test(l)).length;
      const what = pending ? 'one pending migration each' : 'nothing pending';
      console.log(
        `  db:migrate:deploy, ${what}, concurrency ${String(c).padEnd(3)} ${(r.ms / 1000).toFixed(1)} s, exit ${r.code}, ${ok} ok (${applied} applied one)`,
      );
      if (r.code !== 0) console.log(`  ${r.stderr.split('\n').slice(-3).join(' | ')}`);
      console.log(`  DEPLOY ${JSON.stringify({ pending, concurrency: c, ms: r.ms, code: r.code, ok, applied })}`);
    }
  } finally {
    await setNoDbStatus(fx, withDb, 'active');
  }
}
