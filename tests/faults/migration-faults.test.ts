/** Migrations under contention and failure. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { withClient, withDatabase } from '../../tooling/database.ts';
import { committedMigrations } from '../../tooling/migrate/baseline.ts';
import { DEPLOY_LOCK, deployMigrations } from '../../tooling/migrate/migrate.ts';
import { ensureAppLogin } from '../../tooling/rls/app-role.ts';
import { withRepoCopy } from '../support/repo-copy.ts';
import { runDbScript } from '../support/run-db-script.ts';
import { scratchDatabases } from '../support/scratch-databases.ts';

const emptyDatabase = scratchDatabases('acme_mf');

const history = (url: string) =>
  withClient(
    url,
    async (c) =>
      (await c.query('SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY 1'))
        .rows,
  );
const tables = (url: string) =>
  withClient(url, async (c) =>
    (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map(
      (r) => r.tablename,
    ),
  );

describe('concurrent deploys', () => {
  it('two db:migrate:deploy at once apply each migration exactly once', async () => {
    const url = await emptyDatabase();
    const [a, b] = await Promise.all([runDbScript(['deploy'], url), runDbScript(['deploy'], url)]);
    expect(a.code, a.output).toBe(0);
    expect(b.code, b.output).toBe(0);
    expect(await history(url)).toEqual(committedMigrations().map((m) => ({ migration_name: m, finished: true })));
  });
});

/** Polls `probe` until it is true (at most ~60 s on a busy machine). */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const policyOids = (url: string) =>
  withClient(url, async (c) => (await c.query('SELECT array_agg(oid ORDER BY oid) AS o FROM pg_policy')).rows[0].o);
/** Backends of the whole server waiting on a lock of these kinds. */
/** Other backends whose last statement was the deploy's lock attempt. */
const lockPolls = (url: string) =>
  withClient(url, async (c) =>
    Number(
      (
        await c.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_try_advisory_lock%' AND pid <> pg_backend_pid()`,
        )
      ).rows[0]?.n ?? 0,
    ),
  );
const waitingBackends = (url: string, ...kinds: string[]) =>
  withClient(
    url,
    async (c) =>
      (await c.query('SELECT count(*)::int AS n FROM pg_locks WHERE locktype = ANY($1) AND NOT granted', [kinds]))
        .rows[0].n as number,
  );

describe('the deploy is one serialized unit', () => {
  it('waits for the deploy lock before touching migrations or policies, then applies rls.sql', async () => {
    const url = await emptyDatabase();
    expect((await runDbScript(['deploy'], url)).code).toBe(0);
    const policiesBefore = await policyOids(url);
    const historyBefore = await history(url);

    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [DEPLOY_LOCK]);
      const deploy = runDbScript(['deploy'], url);
      // The deploy polls the lock (migrate.ts: a backend blocked on it would stall CREATE INDEX CONCURRENTLY).
      await until(async () => (await lockPolls(url)) > 0, 'the second deploy waits on the lock');
      await new Promise((resolve) => setTimeout(resolve, 600)); // several more attempts, still refused
      // rls.sql drops and recreates every policy: while the lock is held, none may have changed.
      expect(await policyOids(url)).toEqual(policiesBefore);
      expect(await history(url)).toEqual(historyBefore);
      await holder.query('SELECT pg_advisory_unlock($1)', [DEPLOY_LOCK]);
      const done = await deploy;
      expect(done.code, done.output).toBe(0);
    } finally {
      await holder.end();
    }
    const policiesAfter = await policyOids(url);
    expect(policiesAfter).toHaveLength(policiesBefore.length);
    expect(policiesAfter).not.toEqual(policiesBefore);
  });

  it('role set-up and deploys of other databases on the same server at once all succeed', async () => {
    // Roles are cluster-wide and advisory locks per database: a concurrent ALTER ROLE of the same role,
    // from any database, makes the waiting one fail "tuple concurrently updated" once the other commits.
    const server = inject('testServerUrl');
    const login = { user: 'acme_mf_login', password: 'mf-final-password' };
    await withClient(server, (c) => c.query('DROP ROLE IF EXISTS acme_mf_login'));
    await ensureAppLogin(server, { ...login, password: 'mf-first-password' });
    const dbs = await Promise.all([emptyDatabase(), emptyDatabase()]);
    const blocker = new pg.Client({ connectionString: server });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`ALTER ROLE acme_mf_login WITH PASSWORD 'mf-blocker-password'`);
      const crowd = Promise.allSettled([
        ...[server, ...dbs, server].map((u) => ensureAppLogin(u, login)),
        ...dbs.map((u) => deployMigrations(u, { quiet: true })),
      ]);
      await until(async () => (await waitingBackends(server, 'transactionid', 'tuple')) >= 2, 'the role updates queue');
      await blocker.query('COMMIT');
      const results = await crowd;
      expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String(r.reason)))).toEqual(Array(6).fill('ok'));
    } finally {
      await blocker.end();
    }
    // The last writer's password is the one that works, and the deploys are complete.
    const asLogin = new URL(withDatabase(server, 'postgres'));
    asLogin.username = login.user;
    asLogin.password = login.password;
    expect(await withClient(asLogin.toString(), async (c) => (await c.query('SELECT current_user AS u')).rows)).toEqual(
      [{ u: login.user }],
    );
    for (const url of dbs) {
      expect(await history(url)).toEqual(committedMigrations().map((m) => ({ migration_name: m, finished: true })));
    }
    await withClient(server, (c) => c.query('DROP ROLE acme_mf_login'));
  });
});

describe('a migration that fails midway', () => {
  it('leaves the schema as it was, and db:status reports the failure', async () => {
    await withRepoCopy(async (copy) => {
      const url = await emptyDatabase();
      expect((await runDbScript(['deploy'], url, copy)).code).toBe(0);
      const before = await tables(url);

      const broken = path.join(copy, 'migrations', '29991231000000_broken');
      mkdirSync(broken);
      writeFileSync(
        path.join(broken, 'migration.sql'),
        'CREATE TABLE "HalfDone" ("id" TEXT PRIMARY KEY);\nALTER TABLE "Clinic" ADD COLUMN "x" INTEGER;\nSELECT 1 / 0;\n',
      );
      const deploy = await runDbScript(['deploy'], url, copy);
      expect(deploy.code).not.toBe(0);
      expect(deploy.output).toMatch(/division by zero/);
      expect(await tables(url)).toEqual(before);
      const cols = await withClient(url, (c) =>
        c.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'Clinic' AND column_name = 'x'`),
      );
      expect(cols.rows).toHaveLength(0);

      const status = await runDbScript(['status'], url, copy);
      expect(status.code).not.toBe(0);
      expect(status.output).toMatch(/29991231000000_broken/);
      expect(status.output).toMatch(/failed/i);
    });
  });
});
